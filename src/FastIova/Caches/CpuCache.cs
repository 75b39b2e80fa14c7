namespace FastIova.Caches;

/// <summary>
/// A simulated CPU's cache. The kernel guards each per-CPU cache with a spin lock because an interrupt or a migrated
/// task may touch it; here a simulator may drive one CPU from several threads, so a Monitor does the same job (Coyote
/// controls it, and its uncontended cost is one interlocked operation, irrelevant next to simulation).
/// </summary>
internal sealed class CpuCache : RangeCache
{
    private readonly object _lock = new();

    public CpuCache(RangeCaches caches, int index)
        : base(caches, keepsSpares: false) => Index = index;

    /// <summary>The CPU's index in its domain.</summary>
    public int Index { get; }

    public override bool TryGet(int sizeClass, ulong maxStart, out ulong pfn)
    {
        lock (_lock)
            return GetExclusive(sizeClass, maxStart, out pfn);
    }

    public override bool TryInsert(int sizeClass, ulong pfn)
    {
        lock (_lock)
            InsertExclusive(sizeClass, pfn);
        return true;
    }

    public void Flush(IovaDomain domain)
    {
        // Lock order: a CPU's lock, then the tree lock (inside FreeCachedToTree); nothing takes them the other way.
        lock (_lock)
            FlushExclusive(domain);
    }
}
