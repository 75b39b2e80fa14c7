using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using FastIova.Dma;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.DmaThreads;

/// <summary>
/// Many real threads map, unmap and exit for a bounded time in lazy mode, through the thread API and through workers
/// (some disposed, some dropped), while the real timer runs. No IOVA is handed out twice while they run; afterwards an
/// explicit flush leaves the tree holding exactly the mappings still live. Seeded: the seed is printed, and
/// <c>FASTIOVA_STRESS_SEED</c> replays one.
/// </summary>
[Collection(DmaThreadCollection.Name)]
public sealed class DmaThreadStressTests(ITestOutputHelper output)
{
    private const ulong Granule = 4096;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(1.5);

    [Theory]
    [InlineData(DmaUnmapMode.Lazy)]
    [InlineData(DmaUnmapMode.LazySingleQueue)]
    [InlineData(DmaUnmapMode.Strict)]
    public void ThreadsMapUnmapAndExit_FlushLeavesExactlyTheLiveMappings(DmaUnmapMode mode)
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FASTIOVA_STRESS_SEED"), out int s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (FASTIOVA_STRESS_SEED={seed} replays the same choices)");

        // An 8 GiB aperture with only 16 MiB usable below 4 GiB: the 32-bit device fills it and fails, the PCI device's
        // 32-bit attempts fail and flip it, from several threads at once; ranges are reused often.
        using var domain = new DmaDomain(new DmaDomainOptions
        {
            UnmapMode = mode,
            CpuCount = 2,
            ApertureEnd = (1UL << 33) - 1,
            DepotTrimInterval = TimeSpan.FromMilliseconds(20),
        });
        IovaRange reserved = domain.Reserve(16 << 20, (1UL << 32) - (16 << 20));
        DmaDevice[] devices =
        [
            domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: true),
            domain.AttachDevice(2, uint.MaxValue, uint.MaxValue, pci32BitWorkaround: false),
        ];
        var claims = new ConcurrentDictionary<ulong, int>(); // pfn -> owner id: a pfn claimed twice was handed out twice
        var survivors = new ConcurrentBag<Mapping>();
        var failures = new ConcurrentQueue<Exception>();
        var stopwatch = Stopwatch.StartNew();
        int generation = 0;
        var live = new List<Thread>();
        while (stopwatch.Elapsed < Duration && failures.IsEmpty)
        {
            live.RemoveAll(t => !t.IsAlive);
            while (live.Count < 6)
            {
                int id = ++generation;
                var random = new Random(HashCode.Combine(seed, id));
                var thread = new Thread(() => Life(domain, devices, random, id, claims, survivors, failures));
                thread.Start();
                live.Add(thread);
            }

            Thread.Sleep(1);
        }

        foreach (Thread thread in live)
            thread.Join();
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        output.WriteLine($"{generation} threads, {survivors.Count} mappings live at the end, {domain.IotlbFlushes} flushes, {domain.WorkaroundFlips} flips");

        domain.FlushUnmapQueues();
        Assert.Equal(0, domain.PendingUnmaps);
        domain.Iova.ReclaimDeadThreadCaches();
        domain.Iova.FlushCaches();
        domain.Iova.CheckInvariants();
        IovaRange[] expected = [.. survivors.Select(m => m.Range).Append(reserved).OrderBy(r => r.PfnLo)];
        Assert.Equal(expected, domain.Iova.GetRanges());
    }

    // One thread's life: a few hundred operations on its own mappings, some through workers, then exit with some
    // mappings still live (they survive the thread, as a driver's buffers outlive the CPU that mapped them).
    private static void Life(
        DmaDomain domain, DmaDevice[] devices, Random random, int id, ConcurrentDictionary<ulong, int> claims,
        ConcurrentBag<Mapping> survivors, ConcurrentQueue<Exception> failures)
    {
        try
        {
            var mine = new List<Mapping>();
            DmaWorker? worker = random.Next(3) == 0 ? domain.CreateWorker() : null;
            DmaMapper? mapper = worker;
            var addresses = new ulong[3];
            int operations = random.Next(100, 600);
            for (int op = 0; op < operations; op++)
            {
                if (mine.Count > 0 && (mine.Count > 40 || random.Next(2) == 0))
                {
                    int index = random.Next(mine.Count);
                    Mapping gone = mine[index];
                    mine.RemoveAt(index);
                    Release(claims, gone.Range);
                    if (mapper is null)
                        domain.Unmap(gone.Address, gone.Size);
                    else
                        mapper.Unmap(gone.Address, gone.Size);
                    continue;
                }

                DmaDevice device = devices[random.Next(devices.Length)];
                if (random.Next(50) == 0)
                    domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: true); // the flag set anew
                Mapping mapping;
                if (random.Next(4) == 0)
                {
                    ScatterSegment[] segments = [new((ulong)random.Next(1 << 20), (ulong)random.Next(1, 9000)), new(0x100000, (ulong)random.Next(1, 20000))];
                    bool ok = mapper is null
                        ? domain.TryMapScatterList(device, ulong.MaxValue, segments, addresses)
                        : mapper.TryMapScatterList(device, ulong.MaxValue, segments, addresses);
                    if (!ok)
                        continue;
                    ulong size = addresses[1] + segments[1].Length - addresses[0];
                    mapping = new Mapping(addresses[0], size);
                }
                else
                {
                    ulong physical = (ulong)random.Next(1 << 24), size = (ulong)random.Next(1, 5 * (int)Granule);
                    ulong address;
                    bool ok = mapper is null ? domain.TryMap(device, physical, size, out address) : mapper.TryMap(device, physical, size, out address);
                    if (!ok)
                        continue;
                    mapping = new Mapping(address, size);
                }

                Claim(claims, mapping.Range, id);
                mine.Add(mapping);
            }

            foreach (Mapping mapping in mine.Take(random.Next(mine.Count + 1)).ToList())
            {
                mine.Remove(mapping);
                Release(claims, mapping.Range);
                domain.Unmap(mapping.Address, mapping.Size);
            }

            foreach (Mapping mapping in mine)
                survivors.Add(mapping);

            // Half the workers are disposed, the others dropped for the timer and the reclamation to find.
            if (random.Next(2) == 0)
                worker?.Dispose();
        }
        catch (Exception ex)
        {
            failures.Enqueue(ex);
        }
    }

    private static void Claim(ConcurrentDictionary<ulong, int> claims, IovaRange range, int id)
    {
        for (ulong pfn = range.PfnLo; pfn <= range.PfnHi; pfn++)
        {
            if (!claims.TryAdd(pfn, id))
                throw new InvalidOperationException($"pfn {pfn} of {range} handed to thread {id} while thread {claims[pfn]} holds it.");
        }
    }

    private static void Release(ConcurrentDictionary<ulong, int> claims, IovaRange range)
    {
        for (ulong pfn = range.PfnLo; pfn <= range.PfnHi; pfn++)
            claims.TryRemove(pfn, out _);
    }

    /// <summary>A live mapping and the IOVA range the fast path gave it (rounded to a power of two below 32 pages).</summary>
    private readonly record struct Mapping(ulong Address, ulong Size)
    {
        public IovaRange Range
        {
            get
            {
                ulong first = Address / Granule, pages = (Address + Size - 1) / Granule - first + 1;
                ulong allocated = pages < 32 ? BitOperations.RoundUpToPowerOf2(pages) : pages;
                return new IovaRange(first, first + allocated - 1);
            }
        }
    }
}
