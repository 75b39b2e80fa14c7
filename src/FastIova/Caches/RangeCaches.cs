using System.Runtime.CompilerServices;

namespace FastIova.Caches;

/// <summary>
/// A domain's range caches: the simulated CPUs' caches, the per-thread caches, one lock-free depot of full magazines
/// per size class, and the magazine pool. Ranges in any of them stay allocated in the tree until flushed.
/// </summary>
internal sealed class RangeCaches
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

    /// <summary>Disposing an <see cref="IovaCache"/>: its ranges go back to the tree and the cache is forgotten.</summary>
    public void Release(ThreadCache cache)
    {
        lock (_flushGate)
        {
            lock (_registryLock)
            {
                if (!_threadCaches.Remove(cache))
                    return;
                RetireCounts(cache);
            }

            Retire(cache);
        }
    }

    /// <summary>
    /// An <see cref="IovaCache"/>'s flush, called by its owner: under the flush gate, so that no other flush is emptying
    /// the same cache; the owner is the caller, so nothing waits.
    /// </summary>
    public void FlushOwned(ThreadCache cache)
    {
        lock (_flushGate)
        {
            cache.RequestFlush();

            // Once the domain is sealed every cache stays closed.
            cache.CompleteFlush(_domain, keepClosed: Volatile.Read(ref _sealed));
        }
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

    /// <summary>Empties a cache whose owner is gone or done with it into the tree and retires it. Under the flush gate.</summary>
    private void Retire(ThreadCache cache)
    {
        cache.RequestFlush();
        cache.CompleteFlush(_domain, keepClosed: true); // the owner is gone or is the caller: nothing to wait for
        cache.Retire();
    }

    /// <summary>
    /// Moves the counts of a cache leaving the registry to the retired totals, under the registry lock, in the same step
    /// as its removal: a statistics snapshot (which reads both under that lock) then counts it exactly once, and hits
    /// and misses never go back. Its owner is gone or is the caller, so its counts are final.
    /// </summary>
    private void RetireCounts(ThreadCache cache)
    {
        for (int k = 0; k < ClassCount; k++)
        {
            _retiredHits[k] += cache.Hits(k);
            _retiredMisses[k] += cache.Misses(k);
        }
    }

    /// <summary>
    /// Empties the caches whose owner is gone (an exited thread, a collected IovaCache) into the tree and forgets them.
    /// Runs on every trim tick, when the registry doubles, and on demand; a dead thread's ranges are back within one
    /// trim interval.
    /// </summary>
    public int ReclaimDeadThreadCaches()
    {
        lock (_flushGate)
        {
            List<ThreadCache>? dead = null;
            lock (_registryLock)
            {
                for (int i = _threadCaches.Count - 1; i >= 0; i--)
                {
                    if (_threadCaches[i].IsAbandoned)
                    {
                        RetireCounts(_threadCaches[i]);
                        (dead ??= []).Add(_threadCaches[i]);
                        _threadCaches.RemoveAt(i);
                    }
                }

                _sweepAt = Math.Max(8, 2 * _threadCaches.Count);
            }

            if (dead is null)
                return 0;

            foreach (var cache in dead)
                Retire(cache);

            Interlocked.Add(ref _reclaimed, dead.Count);
            return dead.Count;
        }
    }

    /// <summary>
    /// Flushes every CPU cache (in CPU order), every thread cache and then every depot, as the kernel's failure path
    /// (<c>free_cpu_cached_iovas</c> for each online CPU, then <c>free_global_cached_iovas</c>).
    /// </summary>
    public void FlushAll()
    {
        Interlocked.Increment(ref _flushes);
        foreach (var cpu in _cpus)
            cpu.Flush(_domain);
        FlushThreadCaches(seal: false);
        FlushDepots();
    }

    /// <summary>Closes every cache for good (Dispose): flushed, and owners sent to the tree from now on.</summary>
    public void Seal()
    {
        _trimTimer?.Dispose();
        FlushThreadCaches(seal: true);
        foreach (var cpu in _cpus)
            cpu.Flush(_domain);
        FlushDepots();
        CacheSlots.Release(_slot);
    }

    private void FlushThreadCaches(bool seal)
    {
        lock (_flushGate)
        {
            ThreadCache[] caches;
            lock (_registryLock)
            {
                if (seal)
                    Volatile.Write(ref _sealed, true);
                caches = [.. _threadCaches];
            }

            if (caches.Length == 0)
                return;
            foreach (var cache in caches)
                cache.RequestFlush();

            // One process-wide fence for all caches: the owners' half of the handshake (see ThreadCache).
            Interlocked.MemoryBarrierProcessWide();
            // Once sealed, every flush leaves the caches closed: a failure-driven flush racing Dispose must not reopen them.
            bool keepClosed = Volatile.Read(ref _sealed);
            foreach (var cache in caches)
                cache.CompleteFlush(_domain, keepClosed);
        }
    }

    /// <summary><c>free_global_cached_iovas</c>: for each class, pops every depot magazine and frees its pfns in order.</summary>
    public void FlushDepots()
    {
        for (int k = 0; k < ClassCount; k++)
        {
            while (_depots[k].TryPop() is { } magazine)
                FreeMagazine(magazine);
        }
    }

    /// <summary>
    /// One run of the kernel's depot work: for each class in order, if its depot holds more magazines than the trim
    /// threshold, pop the head magazine and free its pfns (at most one per class per run). The threshold is one spare
    /// magazine per cache: the CPU count, or the number of thread caches if that is larger.
    /// </summary>
    public int TrimDepots()
    {
        int threshold = Math.Max(CpuCount, ThreadCacheCount);
        int trimmed = 0;
        for (int k = 0; k < ClassCount; k++)
        {
            if (_depots[k].Count > threshold && _depots[k].TryPop() is { } magazine)
            {
                FreeMagazine(magazine);
                trimmed++;
            }
        }

        Interlocked.Add(ref _trimmedMagazines, trimmed);
        return trimmed;
    }

    private void FreeMagazine(Magazine magazine)
    {
        _domain.FreeCachedToTree(magazine.Pfns);
        Pool.Return(magazine);
    }

    private static void OnTrimTimer(WeakReference<RangeCaches> self)
    {
        if (!self.TryGetTarget(out var caches))
            return;
        try
        {
            caches.ReclaimDeadThreadCaches();
            caches.TrimDepots();
        }
        catch (ObjectDisposedException)
        {
            // The domain was disposed between ticks; Seal has disposed this timer.
        }
    }

    public int ThreadCacheCount
    {
        get
        {
            lock (_registryLock)
                return _threadCaches.Count;
        }
    }

    public long Flushes => Interlocked.Read(ref _flushes);

    public long TrimmedMagazines => Interlocked.Read(ref _trimmedMagazines);

    public long ReclaimedThreadCaches => Interlocked.Read(ref _reclaimed);

    /// <summary>Per-class hits, misses and depot sizes, summed over every cache, live or retired.</summary>
    public SizeClassStatistics[] SizeClassStatistics()
    {
        var result = new SizeClassStatistics[ClassCount];
        var retiredHits = new long[ClassCount];
        var retiredMisses = new long[ClassCount];
        ThreadCache[] threads;
        lock (_registryLock)
        {
            // The retired totals and the registry change together (RetireCounts): read them together.
            threads = [.. _threadCaches];
            _retiredHits.CopyTo(retiredHits);
            _retiredMisses.CopyTo(retiredMisses);
        }

        for (int k = 0; k < ClassCount; k++)
        {
            long hits = retiredHits[k], misses = retiredMisses[k];
            foreach (var cpu in _cpus)
            {
                hits += cpu.Hits(k);
                misses += cpu.Misses(k);
            }

            foreach (var thread in threads)
            {
                hits += thread.Hits(k);
                misses += thread.Misses(k);
            }

            result[k] = new SizeClassStatistics(k, hits, misses, _depots[k].Count);
        }

        return result;
    }
}
