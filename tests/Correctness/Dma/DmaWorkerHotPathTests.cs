using FastIova.Dma;
using FastIova.Tests.Correctness.Support;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>
/// A worker's hot map and unmap (a hit or insert in its own loaded magazine, an append to its own flush queue) give
/// what the full rules give: checked against a simulated CPU running the same traffic, where caches, queues and rules
/// are the same.
/// </summary>
public sealed class DmaWorkerHotPathTests(ITestOutputHelper output)
{
    private static DmaDomain Strict(ulong apertureStart = 0) =>
        new(new DmaDomainOptions { CpuCount = 2, UnmapMode = DmaUnmapMode.Strict, ApertureStart = apertureStart, DepotTrimInterval = Timeout.InfiniteTimeSpan });

    private static DmaDomain Lazy(ulong apertureStart) =>
        new(new DmaDomainOptions
        {
            CpuCount = 2,
            UnmapMode = DmaUnmapMode.Lazy,
            ApertureStart = apertureStart,
            SimulatedTimer = true,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        }, timerPeriod: null, queueSlots: 16);

    [Fact]
    public void CachedRangeAboveAMask_IsNotHandedToThatDevice()
    {
        using DmaDomain dma = Strict();
        using DmaWorker worker = dma.CreateWorker();
        DmaDevice wide = dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        DmaDevice narrow = dma.AttachDevice(2, 0xffff_ffff, 0xffff_ffff, pci32BitWorkaround: false);
        DmaDevice pci = dma.AttachDevice(3, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: true);

        ulong high = worker.Map(wide, 0x1000, 4096);
        worker.Unmap(high, 4096);

        Assert.True(worker.Map(narrow, 0x2000, 4096) < 1UL << 32);
        Assert.True(worker.Map(pci, 0x3000, 4096) < 1UL << 32); // the workaround's first step looks below 4 GiB
        Assert.Equal(high, worker.Map(wide, 0x4000, 4096));
    }

    [Fact]
    public void HotPath_KeepsTheOffsetAndChecksArguments()
    {
        using DmaDomain dma = Strict();
        using DmaWorker worker = dma.CreateWorker();
        DmaDevice device = dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        ulong first = worker.Map(device, 0x1000, 4096);
        worker.Unmap(first, 4096);

        Assert.Equal(first + 0x123, worker.Map(device, 0x5123, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => worker.Map(device, 0x5000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => worker.Unmap(first, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => worker.Unmap(0, 4096));
    }

    [Fact]
    public void DeclaringADeviceAgain_MovesItsHotLimit()
    {
        using DmaDomain dma = Strict();
        using DmaWorker worker = dma.CreateWorker();
        DmaDevice device = dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        ulong high = worker.Map(device, 0x1000, 4096);
        worker.Unmap(high, 4096);

        dma.AttachDevice(1, 0xffff_ffff, 0xffff_ffff, pci32BitWorkaround: false);
        Assert.True(worker.Map(device, 0x2000, 4096) < 1UL << 32);
        dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        Assert.Equal(high, worker.Map(device, 0x3000, 4096));
    }

    [Fact]
    public void DisposedDomain_RefusesTheWorkersHotCalls()
    {
        foreach (DmaUnmapMode mode in Enum.GetValues<DmaUnmapMode>())
        {
            var dma = new DmaDomain(new DmaDomainOptions { UnmapMode = mode, SimulatedTimer = true, DepotTrimInterval = Timeout.InfiniteTimeSpan });
            DmaWorker worker = dma.CreateWorker();
            DmaDevice device = dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
            ulong address = worker.Map(device, 0x1000, 4096);
            worker.Unmap(worker.Map(device, 0x2000, 4096), 4096);
            dma.Dispose();

            Assert.Throws<ObjectDisposedException>(() => worker.Map(device, 0x3000, 4096));
            Assert.Throws<ObjectDisposedException>(() => worker.Unmap(address, 4096));
        }
    }

    /// <summary>
    /// The one-granule unmap tests only where a mapping starts: at an aperture that ends inside a granule, or at 2^64,
    /// the last granule must still take the rules' way. Each step's outcome (an address, or the exception's type) on a
    /// worker must be a simulated CPU's, in both modes.
    /// </summary>
    [Theory]
    [InlineData(0x1_0000_07ffUL, false)]
    [InlineData(0x1_0000_07ffUL, true)]
    [InlineData(0x1_0000_0fffUL, false)]
    [InlineData(ulong.MaxValue, false)]
    [InlineData(ulong.MaxValue, true)]
    public void OneGranuleUnmaps_AtTheAperturesTop_GiveTheSimulatedCpusOutcomes(ulong apertureEnd, bool lazy)
    {
        DmaDomain Make() => new(new DmaDomainOptions
        {
            CpuCount = 1,
            UnmapMode = lazy ? DmaUnmapMode.Lazy : DmaUnmapMode.Strict,
            ApertureStart = apertureEnd - 0xf_ffff,
            ApertureEnd = apertureEnd,
            SimulatedTimer = true,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });

        using DmaDomain byWorker = Make(), byCpu = Make();
        using DmaWorker worker = byWorker.CreateWorker();
        DmaCpu cpu = byCpu.Cpu(0);
        DmaDevice device = byWorker.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        DmaDevice cpuDevice = byCpu.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);

        var steps = new List<(string Worker, string Cpu)>();
        void Step(Func<DmaMapper, DmaDevice, ulong> op)
        {
            static string Outcome(Func<ulong> run)
            {
                try
                {
                    return $"0x{run():x}";
                }
                catch (Exception e)
                {
                    return e.GetType().Name;
                }
            }

            steps.Add((Outcome(() => op(worker, device)), Outcome(() => op(cpu, cpuDevice))));
        }

        ulong top = 0;
        Step((m, d) => top = m.Map(d, 0x5123, 100)); // the highest granule, the partial one where the aperture ends inside it
        for (int round = 0; round < 3; round++)
        {
            ulong address = top;
            Step((m, d) => { m.Unmap(address, 100); return 0; });
            Step((m, d) => top = m.Map(d, 0x6000 + (ulong)round, 4096 - (ulong)round));
            Step((m, d) => { m.Unmap(top + 1, 4096); return 0; }); // crosses into the next granule
            Step((m, d) => { m.Unmap(ulong.MaxValue - 0x7ff, 4096); return 0; });
            Step((m, d) => { m.Unmap((apertureEnd & ~0xfffUL) + 0x700, 0x200); return 0; }); // in the top granule, past a mid-granule end
        }

        output.WriteLine(string.Join("\n", steps));
        Assert.All(steps, step => Assert.Equal(step.Cpu, step.Worker));
        Assert.Equal(byCpu.Iova.GetRanges(), byWorker.Iova.GetRanges());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void StrictTraffic_GivesTheSimulatedCpusAddresses(int seed) => SameTraffic_GivesTheSimulatedCpusAddresses(seed, lazy: false);

    /// <summary>
    /// Lazy, with 16-slot queues and a timer that never fires: every reap is a full ring's, into the unmapping worker's
    /// or CPU's own cache, so the two stay equal op by op.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void LazyTraffic_GivesTheSimulatedCpusAddresses(int seed) => SameTraffic_GivesTheSimulatedCpusAddresses(seed, lazy: true);

    /// <summary>The calling thread's mapper (the domain's own map methods) takes the same hot paths, beside a worker.</summary>
    [Theory]
    [InlineData(7, false)]
    [InlineData(8, true)]
    public void ThreadApiTraffic_GivesTheSimulatedCpusAddresses(int seed, bool lazy) =>
        SameTraffic_GivesTheSimulatedCpusAddresses(seed, lazy, throughThread: true);

    private void SameTraffic_GivesTheSimulatedCpusAddresses(int seed, bool lazy, bool throughThread = false)
    {
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        using DmaDomain byWorker = lazy ? Lazy(0xfff0_0000) : Strict(0xfff0_0000), byCpu = lazy ? Lazy(0xfff0_0000) : Strict(0xfff0_0000);

        // Two of each, both mapping. Lazy: one unmaps, as a worker's or a thread's full-ring flush frees its own queue
        // only, where a CPU's covers the other CPU's entries too (FlushQueue's remarks); each queue alone is the
        // kernel's.
        using DmaWorker first = byWorker.CreateWorker(), second = byWorker.CreateWorker();
        DmaWorker[] workers = [first, second];
        DmaCpu[] cpus = [byCpu.Cpu(0), byCpu.Cpu(1)];
        ulong[] masks = [ulong.MaxValue, 0xffff_ffff, (1UL << 40) - 1];
        for (int id = 0; id < 3; id++)
        {
            bool workaround = id != 1;
            byWorker.AttachDevice(id, masks[id], masks[id], workaround);
            byCpu.AttachDevice(id, masks[id], masks[id], workaround);
        }

        var live = new List<(ulong Address, ulong Size)>();
        for (int op = 0; op < 20_000; op++)
        {
            if (live.Count > 0 && rng.Next(2) == 0)
            {
                var (address, size) = live.TakeRandom(rng);
                int by = lazy ? 0 : rng.Next(2);
                if (by == 0 && throughThread)
                    byWorker.Unmap(address, size);
                else
                    workers[by].Unmap(address, size);
                cpus[by].Unmap(address, size);
                continue;
            }

            int device = rng.Next(3);
            ulong physical = (ulong)rng.Next(1 << 20) * 4096 + (ulong)rng.Next(4096);
            ulong bytes = (ulong)rng.Next(1, rng.Next(4) == 0 ? 200_000 : 20_000);
            int on = rng.Next(2);
            bool mapped = on == 0 && throughThread
                ? byWorker.TryMap(byWorker.Device(device), physical, bytes, out ulong expectedless)
                : workers[on].TryMap(byWorker.Device(device), physical, bytes, out expectedless);
            Assert.Equal(cpus[on].TryMap(byCpu.Device(device), physical, bytes, out ulong expected), mapped);
            Assert.Equal(expected, expectedless);
            if (mapped)
                live.Add((expected, bytes));
        }

        Assert.Equal(byCpu.Iova.GetRanges(), byWorker.Iova.GetRanges());
        Assert.Equal(byCpu.PendingUnmaps, byWorker.PendingUnmaps);
        Assert.Equal(byCpu.IotlbFlushes, byWorker.IotlbFlushes);
        if (lazy)
            Assert.True(byCpu.IotlbFlushes > 100, "the small queues must fill and flush often");
        Assert.Equal(byCpu.WorkaroundFlips, byWorker.WorkaroundFlips);
        Assert.True(byCpu.WorkaroundFlips > 0, "the small space below 4 GiB must fill and flip the PCI devices");
    }
}
