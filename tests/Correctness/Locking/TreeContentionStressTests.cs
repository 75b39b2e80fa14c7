using System.Collections.Concurrent;
using FastIova.Tests.Correctness.Caches;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Locking;

/// <summary>
/// Real threads on the tree path through the tree lock: Allocate, Free and Find hammered for a bounded
/// time, each range claimed in an ownership ledger the moment it is handed out; afterwards the tree holds exactly the
/// ranges still owned. And Dispose racing the same traffic: every call completes or throws
/// <see cref="ObjectDisposedException"/>, and the tree Dispose leaves holds exactly what the completed calls left.
/// </summary>
[Collection(SerialCacheTests.Name)]
public sealed class TreeContentionStressTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_runLength = TimeSpan.FromMilliseconds(1500);
    private static readonly int s_workers = Math.Max(6, 2 * Environment.ProcessorCount);

    [Fact]
    public void AllocateFreeFind_TreeHoldsExactlyWhatIsOwned()
    {
        int seed = Seed();
        using var domain = new IovaDomain(4096, 1);
        var ledger = new ConcurrentDictionary<ulong, IovaRange>(); // first pfn -> range, for every owned range
        var errors = new ConcurrentQueue<string>();
        long ops = 0;
        var stop = new CancellationTokenSource(s_runLength);
        RunWorkers(w =>
        {
            var random = new Random(seed + w);
            var mine = new List<IovaRange>();
            long done = 0;
            while (!stop.IsCancellationRequested)
            {
                for (int k = 0; k < 64; k++, done++)
                    Step(domain, random, mine, ledger, errors);
            }

            Interlocked.Add(ref ops, done);
        });

        output.WriteLine($"seed {seed}: {ops:N0} operations on {s_workers} threads");
        Assert.True(errors.IsEmpty, $"seed {seed}: {string.Join("; ", errors.Take(10))}");
        IovaRange[] tree = domain.GetRanges();
        IovaRange[] owned = [.. ledger.Values.OrderBy(r => r.PfnLo)];
        Assert.True(tree.SequenceEqual(owned), $"seed {seed}: the tree holds {tree.Length} ranges, the threads own {owned.Length}");
        domain.CheckInvariants();
        Assert.Equal((ulong)owned.Sum(r => (decimal)r.Size), domain.GetStatistics().LivePfns);
    }

    [Fact]
    public void DisposeRacingTreeTraffic_EveryCallCompletesOrThrowsObjectDisposed()
    {
        int seed = Seed();
        for (int round = 0; round < 20; round++)
        {
            var domain = new IovaDomain(4096, 1);
            var ledger = new ConcurrentDictionary<ulong, IovaRange>();
            var errors = new ConcurrentQueue<string>();
            using var disposer = new Timer(_ => domain.Dispose(), null, 5 + round, Timeout.Infinite);
            RunWorkers(w =>
            {
                var random = new Random(seed + round * 100 + w);
                var mine = new List<IovaRange>();
                try
                {
                    while (true)
                        Step(domain, random, mine, ledger, errors);
                }
                catch (ObjectDisposedException)
                {
                    // The only way out; a call that threw changed nothing.
                }
            });

            Assert.True(errors.IsEmpty, $"seed {seed}, round {round}: {string.Join("; ", errors.Take(10))}");
            Assert.Equal(ledger.Count, domain.TreeCountIgnoringDisposal);
        }
    }

    // One random operation; a range is in the ledger exactly while the tree should hold it.
    private static void Step(IovaDomain domain, Random random, List<IovaRange> mine, ConcurrentDictionary<ulong, IovaRange> ledger, ConcurrentQueue<string> errors)
    {
        const ulong limit = (1UL << 20) - 1;
        int choice = random.Next(10);
        if (choice < 4 || mine.Count == 0)
        {
            ulong size = (ulong)random.Next(1, 17);
            if (!domain.TryAllocate(size, limit, sizeAligned: random.Next(2) == 0, out IovaRange range))
            {
                errors.Enqueue($"could not allocate {size} pfns in a nearly empty space");
                return;
            }

            // Overlaps that do not share a first pfn show at the end, when the tree must equal the ledger.
            if (range.Size != size || !ledger.TryAdd(range.PfnLo, range))
                errors.Enqueue($"handed out {range} for {size} pfns, already owned or the wrong size");
            mine.Add(range);
        }
        else if (choice < 8)
        {
            int index = random.Next(mine.Count);
            IovaRange range = mine[index];
            mine[index] = mine[^1];
            mine.RemoveAt(mine.Count - 1);
            ledger.TryRemove(range.PfnLo, out _);
            bool freed;
            try
            {
                freed = domain.Free(range.PfnHi);
            }
            catch (ObjectDisposedException)
            {
                ledger.TryAdd(range.PfnLo, range); // refused: the tree keeps it
                throw;
            }

            if (!freed)
                errors.Enqueue($"Free({range.PfnHi}) of the owned {range} returned false");
        }
        else
        {
            IovaRange range = mine[random.Next(mine.Count)];
            if (domain.Find(range.PfnLo + (range.Size / 2)) != range)
                errors.Enqueue($"Find inside the owned {range} returned something else");
        }
    }

    private static void RunWorkers(Action<int> body)
    {
        var failures = new ConcurrentQueue<Exception>();
        Thread[] threads = [.. Enumerable.Range(0, s_workers).Select(w => new Thread(() =>
        {
            try
            {
                body(w);
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        }))];
        foreach (Thread thread in threads)
            thread.Start();
        foreach (Thread thread in threads)
            thread.Join();
        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures));
    }

    private int Seed()
    {
        int seed = Environment.GetEnvironmentVariable("FASTIOVA_STRESS_SEED") is { Length: > 0 } s
            ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set FASTIOVA_STRESS_SEED to reuse it; thread timing still varies)");
        return seed;
    }
}
