using System.Runtime.CompilerServices;
using Xunit;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// <see cref="IovaCache"/>'s life cycle: what it holds comes back on Dispose, on a domain flush, and after it is dropped
/// and collected; a disposed cache or domain refuses calls; a cache may move between threads. (Its results against the
/// kernel's rules are in <see cref="CacheLayerDifferentialTests"/>, its races in the Coyote suite.)
/// </summary>
[Collection(SerialCacheTests.Name)]
public sealed class IovaCacheTests
{
    private const ulong Limit = 1 << 20;
    private const int MagazineSize = 8;

    [Fact]
    public void Dispose_ReturnsEveryCachedRangeToTheTree()
    {
        using var domain = NewDomain();
        var cache = domain.CreateCache();
        var pfns = AllocateAndCache(cache, count: 5 * MagazineSize, size: 4); // overflows into the depot
        Assert.Equal(pfns.Count, domain.Count);
        Assert.Equal(1, domain.GetStatistics().ThreadCaches);

        cache.Dispose();
        var stats = domain.GetStatistics();
        Assert.Equal(0, stats.ThreadCaches);
        Assert.Equal((int)stats.DepotMagazines * MagazineSize, domain.Count); // the depot still holds what overflowed
        domain.FlushDepot();
        Assert.Equal(0, domain.Count);
        cache.Dispose(); // twice: nothing happens
    }

    [Fact]
    public void Hits_ComeFromTheCacheItself_AndCountInTheStatistics()
    {
        using var domain = NewDomain();
        using var cache = domain.CreateCache();
        Assert.True(cache.TryAllocateFast(3, Limit, false, out ulong first)); // a miss: from the tree, rounded to 4
        cache.FreeFast(first, 3);
        Assert.True(cache.TryAllocateFast(4, Limit, false, out ulong again));
        Assert.Equal(first, again);

        // Another cache does not see what this one holds.
        cache.FreeFast(again, 4);
        using var other = domain.CreateCache();
        Assert.True(other.TryAllocateFast(4, Limit, false, out ulong fromTree));
        Assert.NotEqual(first, fromTree);

        var classTwo = domain.GetStatistics().SizeClasses[2];
        Assert.Equal(1, classTwo.Hits);
        Assert.Equal(2, classTwo.Misses);
        Assert.Same(domain, cache.Domain);
    }

    [Fact]
    public void Flush_ReturnsWhatThisCacheHolds_AndLeavesOthersAlone()
    {
        using var domain = NewDomain();
        using var cache = domain.CreateCache();
        using var other = domain.CreateCache();
        AllocateAndCache(cache, count: 3, size: 2);
        AllocateAndCache(other, count: 2, size: 1);
        Assert.Equal(5, domain.Count);

        cache.Flush();
        Assert.Equal(2, domain.Count);
        Assert.All(domain.GetRanges(), r => Assert.Equal(1UL, r.Size));
        Assert.True(cache.TryAllocateFast(2, Limit, false, out _));
        Assert.Equal(3, domain.Count);
    }

    [Fact]
    public void FlushCaches_EmptiesOwnedCaches_WhichStayUsable()
    {
        using var domain = NewDomain();
        using var cache = domain.CreateCache();
        AllocateAndCache(cache, count: 3, size: 1);
        domain.FlushCaches();
        Assert.Equal(0, domain.Count);
        Assert.True(cache.TryAllocateFast(1, Limit, false, out _));
        Assert.Equal(1, domain.Count);
    }

    [Fact]
    public void AfterDispose_CallsThrowObjectDisposed_AndTheDomainIsUntouched()
    {
        using var domain = NewDomain();
        var cache = domain.CreateCache();
        Assert.True(cache.TryAllocateFast(2, Limit, false, out ulong kept));
        cache.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cache.TryAllocateFast(2, Limit, false, out _));
        Assert.Throws<ObjectDisposedException>(() => cache.FreeFast(kept, 2));
        Assert.Throws<ObjectDisposedException>(cache.Flush);
        Assert.Equal([new IovaRange(kept, kept + 1)], domain.GetRanges());
    }

    [Fact]
    public void AfterTheDomainIsDisposed_CallsThrowObjectDisposed_AndDisposeStillWorks()
    {
        var domain = NewDomain();
        var cache = domain.CreateCache();
        AllocateAndCache(cache, count: 3, size: 2);
        domain.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cache.TryAllocateFast(2, Limit, false, out _));
        Assert.Throws<ObjectDisposedException>(() => cache.FreeFast(2, 2));
        Assert.Throws<ObjectDisposedException>(cache.Flush);
        cache.Dispose();
    }

    [Fact]
    public void ADroppedCache_IsReclaimedOnceCollected()
    {
        using var domain = NewDomain();
        int cached = DropACacheHolding(domain);
        Assert.Equal(cached, domain.Count);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(1, domain.ReclaimDeadThreadCaches());
        domain.FlushDepot();
        Assert.Equal(0, domain.Count);
        Assert.Equal(1, domain.GetStatistics().ReclaimedThreadCaches);
    }

    [Fact]
    public void ACache_MayMoveBetweenThreads()
    {
        using var domain = NewDomain();
        using var cache = domain.CreateCache();
        var handedOut = new HashSet<ulong>();
        var live = new List<ulong>();
        for (int hop = 0; hop < 8; hop++)
        {
            // Each hop runs on a new thread; Join is the synchronizing hand-over.
            bool allocated = true;
            var thread = new Thread(() =>
            {
                foreach (ulong pfn in live)
                    cache.FreeFast(pfn, 2);
                live.Clear();
                for (int i = 0; i < 3 * MagazineSize; i++)
                {
                    allocated &= cache.TryAllocateFast(2, Limit, false, out ulong pfn);
                    live.Add(pfn);
                }
            });
            thread.Start();
            thread.Join();
            Assert.True(allocated);
            Assert.Equal(live.Count, live.Distinct().Count());
            handedOut.UnionWith(live);
        }

        Assert.Equal(live.Count, domain.Count); // the same ranges circulated: nothing was taken from the tree twice
        Assert.Equal(3 * MagazineSize, handedOut.Count);
    }

    private static IovaDomain NewDomain() =>
        new(4096, 1, new IovaDomainOptions { CpuCount = 1, MagazineSize = MagazineSize, DepotTrimInterval = Timeout.InfiniteTimeSpan });

    private static List<ulong> AllocateAndCache(IovaCache cache, int count, ulong size)
    {
        var pfns = new List<ulong>();
        for (int i = 0; i < count; i++)
        {
            Assert.True(cache.TryAllocateFast(size, Limit, false, out ulong pfn));
            pfns.Add(pfn);
        }

        foreach (ulong pfn in pfns)
            cache.FreeFast(pfn, size);
        return pfns;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int DropACacheHolding(IovaDomain domain) => AllocateAndCache(domain.CreateCache(), count: 5, size: 8).Count;
}
