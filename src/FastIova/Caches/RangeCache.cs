using System.Runtime.CompilerServices;

namespace FastIova.Caches;

/// <summary>
/// One cache's magazines, a pair per size class, and its hit and miss counters: the part shared by a simulated CPU's
/// cache and a thread's cache. Subclasses decide how callers are kept apart.
/// </summary>
internal abstract class RangeCache
{
    /// <summary>The most size classes a domain may have (<see cref="IovaDomainOptions.SizeClasses"/>).</summary>
    public const int MaxClasses = 32;

    // Inline rather than an array: a hit reads the pair straight from this object, without first loading an array.
    private MagazinePairs _pairs;
    private readonly int _classCount;
    private readonly RangeCaches _caches;

    protected RangeCache(RangeCaches caches, bool keepsSpares)
    {
        _caches = caches;
        _classCount = caches.ClassCount;
        for (int k = 0; k < _classCount; k++)
            _pairs[k] = new MagazinePair(caches.Pool, keepsSpares);
    }

    /// <summary>Looks up class <paramref name="sizeClass"/>; the caller provides exclusion.</summary>
    public abstract bool TryGet(int sizeClass, ulong maxStart, out ulong pfn);

    /// <summary>Caches <paramref name="pfn"/> in class <paramref name="sizeClass"/>; false if the cache is closed.</summary>
    public abstract bool TryInsert(int sizeClass, ulong pfn);

    public long Hits(int sizeClass) => Volatile.Read(ref _pairs[sizeClass].Hits);

    public long Misses(int sizeClass) => Volatile.Read(ref _pairs[sizeClass].Misses);

    protected bool GetExclusive(int sizeClass, ulong maxStart, out ulong pfn)
    {
        ref MagazinePair pair = ref _pairs[sizeClass];
        bool hit = pair.TryGet(maxStart, _caches.Depot(sizeClass), _caches.Pool, out pfn);
        if (hit)
            pair.Hits++;
        else
            pair.Misses++;
        return hit;
    }

    /// <summary>A hit on the <c>loaded</c> magazine's last entry, the path nearly every hit takes; false: use GetExclusive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected bool GetLastLoadedExclusive(int sizeClass, ulong maxStart, out ulong pfn) =>
        _pairs[sizeClass].TryPopLast(maxStart, out pfn);

    /// <summary>An insert into a <c>loaded</c> magazine with room; false: use InsertExclusive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected bool InsertLoadedExclusive(int sizeClass, ulong pfn) => _pairs[sizeClass].TryPush(pfn);

    /// <summary>Inserts into a <c>loaded</c> magazine while it has room, in order; returns how many.</summary>
    protected int InsertLoadedRunExclusive(int sizeClass, ReadOnlySpan<ulong> pfns) => _pairs[sizeClass].PushRun(pfns);

    protected void InsertExclusive(int sizeClass, ulong pfn) =>
        _pairs[sizeClass].Insert(pfn, _caches.Depot(sizeClass), _caches.Pool);

    /// <summary><c>free_cpu_cached_iovas</c>: every class in order, <c>loaded</c> then <c>prev</c> (then a spare).</summary>
    protected void FlushExclusive(IovaDomain domain)
    {
        for (int k = 0; k < _classCount; k++)
            _pairs[k].FlushTo(domain);
    }

    /// <summary>Gives the (flushed, empty) magazines back to the pool; the cache must never be used again.</summary>
    protected void ReturnMagazinesExclusive()
    {
        for (int k = 0; k < _classCount; k++)
            _pairs[k].ReturnTo(_caches.Pool);
    }
}
