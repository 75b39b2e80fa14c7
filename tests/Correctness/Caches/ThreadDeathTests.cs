using System.Collections.Concurrent;
using Xunit;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// Threads that exit with ranges in their caches: the ranges come back without a flush, by an explicit
/// <see cref="IovaDomain.ReclaimDeadThreadCaches"/> or by the background trim timer.
/// </summary>
[Collection(SerialCacheTests.Name)]
public sealed class ThreadDeathTests
{
    private const int Threads = 2000;
    private const int Concurrent = 8;
    private const int MagazineSize = 4;
    private const ulong Limit = 1 << 20;

    [Fact]
    public void ReclaimDeadThreadCaches_ReturnsEveryCachedRange()
    {
        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions
        {
            CpuCount = 1,
            MagazineSize = MagazineSize,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
        var owned = RunShortLivedThreads(domain);

        domain.ReclaimDeadThreadCaches();
        var stats = domain.GetStatistics();
        Assert.Equal(0, stats.ThreadCaches);
        Assert.Equal(Threads, stats.ReclaimedThreadCaches);
        Assert.True(stats.DepotMagazines > 0, "the threads should have overflowed magazines into the depot");
        Assert.Equal(owned.Count + (int)stats.DepotMagazines * MagazineSize, domain.Count);
        Assert.Equal(0, domain.ReclaimDeadThreadCaches());

        domain.FlushDepot();
        AssertTreeHoldsExactly(domain, owned);
    }

    [Fact]
    public void TrimTimer_ReclaimsDeadThreadCaches()
    {
        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions
        {
            CpuCount = 1,
            MagazineSize = MagazineSize,
            DepotTrimInterval = TimeSpan.FromMilliseconds(20),
        });
        var owned = RunShortLivedThreads(domain);

        // The timer reclaims the dead threads' caches, then trims the depots down to the threshold (one per CPU).
        var stats = Poll(domain, s => s.ThreadCaches == 0 && s.ReclaimedThreadCaches == Threads && s.SizeClasses.All(c => c.DepotMagazines <= 1));
        Assert.Equal(Threads, stats.ReclaimedThreadCaches);
        Assert.Equal(owned.Count + (int)stats.DepotMagazines * MagazineSize, domain.Count);

        domain.FlushDepot();
        AssertTreeHoldsExactly(domain, owned);
    }

    /// <summary>
    /// Starts <see cref="Threads"/> threads, a few at a time. Each allocates ranges of one class through its own cache,
    /// frees all but one (more than two magazines' worth, so one overflows into the depot) and exits with the rest
    /// cached. Returns the ranges the threads kept, as (first pfn, size).
    /// </summary>
    private static List<(ulong Pfn, ulong Size)> RunShortLivedThreads(IovaDomain domain)
    {
        var kept = new ConcurrentBag<(ulong, ulong)>();
        var errors = new ConcurrentQueue<Exception>();
        for (int batch = 0; batch < Threads; batch += Concurrent)
        {
            var threads = new Thread[Concurrent];
            for (int t = 0; t < Concurrent; t++)
            {
                int index = batch + t;
                threads[t] = new Thread(() =>
                {
                    try
                    {
                        ulong size = 1UL << (index % 6);
                        // One free more than the cache's two magazines and its spare hold: one magazine reaches the depot.
                        var pfns = new ulong[3 * MagazineSize + 2];
                        for (int i = 0; i < pfns.Length; i++)
                        {
                            if (!domain.TryAllocateFast(size, Limit, true, out pfns[i]))
                                throw new InvalidOperationException($"thread {index}: allocation {i} of size {size} failed");
                        }

                        for (int i = 1; i < pfns.Length; i++)
                            domain.FreeFast(pfns[i], size);
                        kept.Add((pfns[0], size));
                    }
                    catch (Exception e)
                    {
                        errors.Enqueue(e);
                    }
                });
                threads[t].Start();
            }

            foreach (var thread in threads)
                thread.Join();
        }

        Assert.Empty(errors);
        return [.. kept];
    }

    private static IovaStatistics Poll(IovaDomain domain, Func<IovaStatistics, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            // Read twice around Count so a tick in between cannot make the numbers disagree.
            var before = domain.GetStatistics();
            if (done(before))
            {
                Thread.Sleep(50);
                var after = domain.GetStatistics();
                if (done(after) && after.TrimmedMagazines == before.TrimmedMagazines && after.ReclaimedThreadCaches == before.ReclaimedThreadCaches)
                    return after;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the trim timer did not reclaim in time: {before}");
            Thread.Sleep(10);
        }
    }

    private static void AssertTreeHoldsExactly(IovaDomain domain, List<(ulong Pfn, ulong Size)> owned)
    {
        var expected = owned.Select(r => new IovaRange(r.Pfn, r.Pfn + r.Size - 1)).OrderBy(r => r.PfnLo).ToArray();
        Assert.Equal(expected, domain.GetRanges());
        domain.CheckInvariants();
    }
}
