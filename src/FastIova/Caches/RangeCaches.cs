using System.Runtime.CompilerServices;

namespace FastIova.Caches;

/// <summary>
/// A domain's range caches: the simulated CPUs' caches, the per-thread caches, one lock-free depot of full magazines
/// per size class, and the magazine pool. Ranges in any of them stay allocated in the tree until flushed.
/// </summary>
internal sealed partial class RangeCaches
{
    private readonly IovaDomain _domain;
    private readonly MagazineStack[] _depots;
    private readonly CpuCache[] _cpus;
    private readonly int _slot;

    // Serializes everything that empties thread caches (flushes, sealing, reclaiming dead threads), so that a cache
    // is never flushed by two threads at once and a retired cache's magazines are never touched after retirement.
    // Lock order: flush gate, then registry lock, then CPU locks, then the tree lock.
    private readonly object _flushGate = new();
    private readonly object _registryLock = new();
    private readonly List<ThreadCache> _threadCaches = [];
    private int _sweepAt = Math.Max(8, 2 * Environment.ProcessorCount);
    private bool _sealed;

    // Hits and misses of caches that have left the registry; under the registry lock (see RetireCounts).
    private readonly long[] _retiredHits;
    private readonly long[] _retiredMisses;
    private long _flushes;
    private long _trimmedMagazines;
    private long _reclaimed;
    private readonly Timer? _trimTimer;

    [ThreadStatic]
    private static ThreadCache?[]? t_caches;

    // Accepted retention: a thread's table and last-used entry keep a disposed domain reachable until the thread uses
    // a domain with the same slot or another domain at all (bounded: one table entry per live domain slot).
    [ThreadStatic]
    private static ThreadCache? t_lastCache;

    public RangeCaches(IovaDomain domain, IovaDomainOptions options)
    {
        _domain = domain;
        ClassCount = options.SizeClasses;
        CpuCount = options.CpuCount;
        Pool = new MagazinePool(options.MagazineSize);
        SpareMagazines = options.SpareMagazines;
        _depots = new MagazineStack[ClassCount];
        for (int k = 0; k < ClassCount; k++)
            _depots[k] = new MagazineStack(Pool);
        _cpus = new CpuCache[CpuCount];
        for (int i = 0; i < CpuCount; i++)
            _cpus[i] = new CpuCache(this, i);
        _retiredHits = new long[ClassCount];
        _retiredMisses = new long[ClassCount];
        Checker = options.Checked ? new CheckedModeTracker() : null;
        _slot = CacheSlots.Acquire();

        if (options.DepotTrimInterval != Timeout.InfiniteTimeSpan)
        {
            // The timer holds the caches weakly: an undisposed, unreachable domain must still be collectable.
            var self = new WeakReference<RangeCaches>(this);
            _trimTimer = new Timer(static state => OnTrimTimer((WeakReference<RangeCaches>)state!), self, options.DepotTrimInterval, options.DepotTrimInterval);
        }
    }

    public int ClassCount { get; }

    public int CpuCount { get; }

    public MagazinePool Pool { get; }

    /// <summary>Whether the caches with one owner keep a spare magazine (<see cref="IovaDomainOptions.SpareMagazines"/>).</summary>
    public bool SpareMagazines { get; }

    /// <summary>Checked mode's record of cached pfns, or <see langword="null"/>.</summary>
    public CheckedModeTracker? Checker { get; }

    public MagazineStack Depot(int sizeClass) => _depots[sizeClass];

    public CpuCache Cpu(int index) => _cpus[index];

    /// <summary>The calling thread's cache for this domain, created on first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ThreadCache ForCurrentThread()
    {
        // Most threads use one domain: one thread-static read and one compare find its cache.
        var last = t_lastCache;
        if (last is not null && last.Caches == this)
            return last;
        return ForCurrentThreadFromTable();
    }

    private ThreadCache ForCurrentThreadFromTable()
    {
        var caches = t_caches;
        if (caches is not null && (uint)_slot < (uint)caches.Length)
        {
            var cache = caches[_slot];
            if (cache is not null && cache.Caches == this)
                return t_lastCache = cache;
        }

        return t_lastCache = Register();
    }

    private ThreadCache Register()
    {
        var cache = Add(new ThreadCache(this, Thread.CurrentThread), out bool sweep);
        var caches = t_caches;
        if (caches is null || caches.Length <= _slot)
        {
            Array.Resize(ref caches, Math.Max(_slot + 1, 4));
            t_caches = caches;
        }

        caches[_slot] = cache;
        if (sweep)
            ReclaimDeadThreadCaches();
        return cache;
    }

    /// <summary>The cache behind a new <see cref="IovaCache"/>: registered like a thread's, so flushes reach it.</summary>
    public ThreadCache CreateOwned(IovaCache owner)
    {
        var cache = Add(new ThreadCache(this, owner), out bool sweep);
        if (sweep)
            ReclaimDeadThreadCaches();
        return cache;
    }

    private ThreadCache Add(ThreadCache cache, out bool sweep)
    {
        lock (_registryLock)
        {
            if (_sealed)
                cache.RequestFlush(); // born closed: the owner goes straight to the tree, which throws ObjectDisposedException
            _threadCaches.Add(cache);

            // Amortized reclamation: sweeping whenever the registry has doubled keeps thread churn at O(1) per thread.
            sweep = _threadCaches.Count >= _sweepAt;
        }

        return cache;
    }
}
