using System.Collections.Concurrent;
using Xunit;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>Dispose flushes every cache into the tree and turns every later call, from any thread, into ObjectDisposedException.</summary>
[Collection(SerialCacheTests.Name)]
public sealed class DisposeTests
{
    private const ulong Limit = 1 << 20;

    [Fact]
    public void AfterDispose_FastPathCallsThrowObjectDisposed()
    {
        var domain = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 2, DepotTrimInterval = Timeout.InfiniteTimeSpan });
        var cpu = domain.Cpu(1);
        Assert.True(domain.TryAllocateFast(4, Limit, false, out ulong a));
        Assert.True(cpu.TryAllocateFast(4, Limit, false, out ulong b));
        domain.Dispose();
        domain.Dispose(); // idempotent

        Assert.Throws<ObjectDisposedException>(() => domain.TryAllocateFast(4, Limit, false, out _));
        Assert.Throws<ObjectDisposedException>(() => domain.TryAllocateFast(4, Limit, true, out _));
        Assert.Throws<ObjectDisposedException>(() => domain.TryAllocateFast(1000, Limit, true, out _));
        Assert.Throws<ObjectDisposedException>(() => domain.FreeFast(a, 4));
        Assert.Throws<ObjectDisposedException>(() => domain.FreeFast(a, 1000));
        Assert.Throws<ObjectDisposedException>(() => cpu.TryAllocateFast(4, Limit, false, out _));
        Assert.Throws<ObjectDisposedException>(() => cpu.FreeFast(b, 4));
        Assert.Throws<ObjectDisposedException>(cpu.Flush);
        Assert.Throws<ObjectDisposedException>(() => domain.Cpu(0));
        Assert.Throws<ObjectDisposedException>(domain.FlushCaches);
        Assert.Throws<ObjectDisposedException>(domain.FlushDepot);
        Assert.Throws<ObjectDisposedException>(() => domain.TrimDepot());
        Assert.Throws<ObjectDisposedException>(() => domain.ReclaimDeadThreadCaches());
        Assert.Throws<ObjectDisposedException>(() => domain.GetStatistics());
        Assert.Throws<ObjectDisposedException>(() => domain.Count);
        Assert.Equal(2, DomainProbe.TreeCount(domain)); // the two ranges handed out stay; nothing was freed
    }

    [Fact]
    public void Dispose_FlushesEveryCache()
    {
        var domain = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 2, MagazineSize = 4, DepotTrimInterval = Timeout.InfiniteTimeSpan });
        var owned = new List<ulong>();

        // This thread's cache, both CPUs' caches and the depot hold ranges.
        FillAndKeep((ulong size, out ulong pfn) => domain.TryAllocateFast(size, Limit, false, out pfn), domain.FreeFast, owned);
        var cpu0 = domain.Cpu(0);
        FillAndKeep((ulong size, out ulong pfn) => cpu0.TryAllocateFast(size, Limit, false, out pfn), cpu0.FreeFast, owned);
        var cpu1 = domain.Cpu(1);
        FillAndKeep((ulong size, out ulong pfn) => cpu1.TryAllocateFast(size, Limit, false, out pfn), cpu1.FreeFast, owned);

        // A live thread's cache (the thread waits, blocked, across Dispose) and a dead, unreclaimed thread's cache.
        using var disposed = new ManualResetEventSlim();
        Exception? afterDispose = null;
        var liveOwned = new List<ulong>();
        using var filled = new ManualResetEventSlim();
        var live = new Thread(() =>
        {
            FillAndKeep((ulong size, out ulong pfn) => domain.TryAllocateFast(size, Limit, false, out pfn), domain.FreeFast, liveOwned);
            filled.Set();
            disposed.Wait();
            try
            {
                domain.TryAllocateFast(4, Limit, false, out _);
            }
            catch (Exception e)
            {
                afterDispose = e;
            }
        });
        live.Start();
        var deadOwned = new List<ulong>();
        var dead = new Thread(() =>
            FillAndKeep((ulong size, out ulong pfn) => domain.TryAllocateFast(size, Limit, false, out pfn), domain.FreeFast, deadOwned));
        dead.Start();
        dead.Join();
        filled.Wait();

        var stats = domain.GetStatistics();
        Assert.True(stats.DepotMagazines > 0);
        Assert.Equal(3, stats.ThreadCaches);
        int ownedCount = owned.Count + liveOwned.Count + deadOwned.Count;
        Assert.True(domain.Count > ownedCount);

        domain.Dispose();
        Assert.Equal(ownedCount, DomainProbe.TreeCount(domain));

        // A thread that had a cache meets ObjectDisposedException, not its old cache.
        disposed.Set();
        live.Join();
        Assert.IsType<ObjectDisposedException>(afterDispose);
        Assert.Equal(ownedCount, DomainProbe.TreeCount(domain));
    }

    [Fact]
    public void DisposeRacingThreadCaches_EveryCallCompletesOrThrowsObjectDisposed_AndNothingLeaks()
    {
        const int Threads = 4;
        var domain = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 2, MagazineSize = 8, DepotTrimInterval = TimeSpan.FromMilliseconds(1) });
        var errors = new ConcurrentQueue<Exception>();
        var ownedCounts = new int[Threads];
        using var started = new CountdownEvent(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var rng = new Random(t);
            var owned = new List<(ulong Pfn, ulong Size)>();
            bool signalled = false;
            try
            {
                for (int i = 0; ; i++)
                {
                    if (i == 1000 && !signalled)
                    {
                        started.Signal();
                        signalled = true;
                    }

                    if (owned.Count > 0 && rng.Next(2) == 0)
                    {
                        int j = rng.Next(owned.Count);
                        domain.FreeFast(owned[j].Pfn, owned[j].Size); // throws before freeing, or frees
                        owned[j] = owned[^1];
                        owned.RemoveAt(owned.Count - 1);
                    }
                    else
                    {
                        ulong size = (ulong)rng.Next(1, 48);
                        if (domain.TryAllocateFast(size, Limit, false, out ulong pfn))
                            owned.Add((pfn, size));
                    }
                }
            }
            catch (ObjectDisposedException)
            {
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
            finally
            {
                if (!signalled)
                    started.Signal();
                ownedCounts[t] = owned.Count;
            }
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        started.Wait();
        domain.Dispose();
        foreach (var thread in threads)
            thread.Join();

        Assert.Empty(errors);
        Assert.Equal(ownedCounts.Sum(), DomainProbe.TreeCount(domain));
    }

    /// <summary>
    /// Regression: Dispose once checked <c>_disposed</c> without claiming it, so two threads disposing at once both
    /// ran <c>RangeCaches.Seal</c> and released the domain's thread-cache slot twice. The next two domains then shared
    /// one slot, and a thread alternating between them registered a new cache on every switch (the registry grew
    /// without bound and ranges were stranded in the abandoned caches). This test failed in 2 of 2 runs against that
    /// code (574c07f).
    /// </summary>
    [Fact]
    public void ConcurrentDispose_ReleasesTheThreadCacheSlotOnce()
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var domain = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 1, DepotTrimInterval = Timeout.InfiniteTimeSpan });
            // Caches full of ranges make Seal take a while, which widens the race.
            for (int t = 0; t < 8; t++)
            {
                var filler = new Thread(() =>
                {
                    var pfns = new ulong[250];
                    for (int i = 0; i < pfns.Length; i++)
                        Assert.True(domain.TryAllocateFast(1, Limit, false, out pfns[i]));
                    foreach (ulong pfn in pfns)
                        domain.FreeFast(pfn, 1);
                });
                filler.Start();
                filler.Join();
            }

            using (var barrier = new Barrier(2))
            {
                var other = new Thread(() =>
                {
                    barrier.SignalAndWait();
                    domain.Dispose();
                });
                other.Start();
                barrier.SignalAndWait();
                domain.Dispose();
                other.Join();
            }

            // Two fresh domains must own distinct slots: alternating between them keeps one cache in each.
            using var a = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 1, DepotTrimInterval = Timeout.InfiniteTimeSpan });
            using var b = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 1, DepotTrimInterval = Timeout.InfiniteTimeSpan });
            for (int i = 0; i < 3; i++)
            {
                foreach (var d in new[] { a, b })
                {
                    Assert.True(d.TryAllocateFast(1, Limit, false, out ulong p));
                    d.FreeFast(p, 1);
                }
            }

            Assert.True(a.GetStatistics().ThreadCaches == 1 && b.GetStatistics().ThreadCaches == 1,
                $"attempt {attempt}: a thread alternating between two domains has {a.GetStatistics().ThreadCaches} and " +
                $"{b.GetStatistics().ThreadCaches} caches registered (expected 1 each): the domains share a slot");
        }
    }

    private delegate bool TryAllocate(ulong size, out ulong pfn);

    /// <summary>Allocates ranges of a few classes, frees most of them into the cache (overflowing into the depot) and keeps some.</summary>
    private static void FillAndKeep(TryAllocate allocate, Action<ulong, ulong> free, List<ulong> owned)
    {
        foreach (ulong size in new ulong[] { 1, 3, 8, 32, 100 })
        {
            // 15 of 20 freed: more than a thread cache's two magazines of 4 and its spare, so the depot fills too.
            var pfns = new ulong[20];
            for (int i = 0; i < pfns.Length; i++)
                Assert.True(allocate(size, out pfns[i]));
            for (int i = 0; i < pfns.Length; i++)
            {
                if (i % 4 == 0)
                    owned.Add(pfns[i]);
                else
                    free(pfns[i], size);
            }
        }
    }
}
