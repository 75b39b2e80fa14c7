namespace FastIova;

/// <summary>
/// A snapshot of a domain's counters. Taken without stopping the domain: counters kept by running threads are read
/// as they are, so a snapshot under load is consistent per counter, not across counters.
/// </summary>
public sealed record IovaStatistics
{
    /// <summary>Ranges in the tree, anchor excluded; cached ranges count (they stay allocated in the tree).</summary>
    public long LiveRanges { get; init; }

    /// <summary>Pfns covered by the ranges in the tree.</summary>
    public ulong LivePfns { get; init; }

    /// <summary>Successful tree allocations (alloc_iova), including those made for fast-path misses.</summary>
    public long TreeAllocations { get; init; }

    /// <summary>Tree allocations that failed because no block fitted (max32_alloc_size is then lowered).</summary>
    public long FailuresExhausted { get; init; }

    /// <summary>Tree allocations refused at once by the 32-bit hint (size at least max32_alloc_size).</summary>
    public long Failures32BitHint { get; init; }

    /// <summary>Ranges removed from the tree (free, cache flushes, depot trims).</summary>
    public long TreeFrees { get; init; }

    /// <summary>
    /// Tree-lock entries that found the lock held by another thread and waited: each is a hand-over of the tree
    /// between threads. A waiter spins, then sleeps a millisecond at a time, so threads that share the tree path take
    /// it in turns of many operations; this counts the turns.
    /// </summary>
    public long TreeLockContentions { get; init; }

    /// <summary>Fast-path allocations that failed (after the flush and retry, when one was asked for).</summary>
    public long FastFailures { get; init; }

    /// <summary>Per size class: cache hits, misses and depot magazines.</summary>
    public IReadOnlyList<SizeClassStatistics> SizeClasses { get; init; } = [];

    /// <summary>Fast-path allocations served from a cache.</summary>
    public long CacheHits => SizeClasses.Sum(c => c.Hits);

    /// <summary>Fast-path allocations that went to the tree.</summary>
    public long CacheMisses => SizeClasses.Sum(c => c.Misses);

    /// <summary>Hits over fast-path allocations, 0 when there were none.</summary>
    public double HitRate => CacheHits + CacheMisses == 0 ? 0 : (double)CacheHits / (CacheHits + CacheMisses);

    /// <summary>Full magazines in the depots.</summary>
    public long DepotMagazines => SizeClasses.Sum(c => c.DepotMagazines);

    /// <summary>Whole-cache flushes (explicit, failure-driven, Dispose).</summary>
    public long Flushes { get; init; }

    /// <summary>Magazines freed by depot trimming.</summary>
    public long TrimmedMagazines { get; init; }

    /// <summary>Per-thread caches and undisposed <see cref="IovaCache"/>s currently registered with the domain.</summary>
    public int ThreadCaches { get; init; }

    /// <summary>Caches reclaimed after their thread exited, or their <see cref="IovaCache"/> was collected undisposed.</summary>
    public long ReclaimedThreadCaches { get; init; }
}

/// <summary>Counters of one cached size class (sizes up to <c>2^SizeClass</c> pfns).</summary>
/// <param name="SizeClass">The class index k: sizes in (2^(k-1), 2^k].</param>
/// <param name="Hits">Fast-path allocations served from a magazine.</param>
/// <param name="Misses">Fast-path allocations that went to the tree.</param>
/// <param name="DepotMagazines">Full magazines in this class's depot.</param>
public readonly record struct SizeClassStatistics(int SizeClass, long Hits, long Misses, long DepotMagazines);
