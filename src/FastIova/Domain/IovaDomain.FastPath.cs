using System.Runtime.CompilerServices;
using FastIova.Caches;
using FastIova.Trace;

namespace FastIova;

// The fast path (alloc_iova_fast / free_iova_fast): range caches in front of the tree.
public sealed partial class IovaDomain
{
    private readonly RangeCaches _caches;
    private readonly SimulatedCpu[] _cpus;

    // See IsHotAllocation.
    private readonly ulong _hotSizeBound;
    private readonly ulong _hotLimitSpan;
    private long _fastFailures;

    /// <summary>The number of simulated CPUs (<see cref="IovaDomainOptions.CpuCount"/>).</summary>
    public int CpuCount => _cpus.Length;

    /// <summary>
    /// <c>alloc_iova_fast</c> through the calling thread's own cache: a hit takes no lock. Sizes below
    /// <c>2^(SizeClasses-1)</c> are rounded up to a power of two; a miss allocates size-aligned from the tree.
    /// </summary>
    /// <param name="size">Pfns wanted, at least 1 (the range handed out has the rounded size).</param>
    /// <param name="limitPfn">The highest pfn the range may use (inclusive).</param>
    /// <param name="flushCachesOnFailure">On failure, flush every cache and the depots back to the tree and retry once.</param>
    /// <param name="pfn">The first pfn of the range, or 0 on failure.</param>
    /// <returns>Whether a range was obtained.</returns>
    public bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn)
    {
        if (IsHotAllocation(size, limitPfn, out int sizeClass, out ulong maxStart)
            && _caches.ForCurrentThread().TryGetLastLoaded(sizeClass, maxStart, out pfn))
            return true;
        (bool done, pfn) = AllocateFastMiss(null, size, limitPfn, flushCachesOnFailure);
        return done;
    }

    /// <summary>
    /// <c>free_iova_fast</c> through the calling thread's own cache. Any thread may free a range another thread
    /// allocated. Ranges of uncached sizes go straight back to the tree.
    /// </summary>
    /// <param name="pfn">The first pfn of a range obtained from a fast-path allocation.</param>
    /// <param name="size">The size passed when it was allocated.</param>
    /// <exception cref="InvalidOperationException">Checked mode, and the pfn does not start a live range of the size's
    /// class, or is already cached.</exception>
    public void FreeFast(ulong pfn, ulong size)
    {
        if (IsHotFree(pfn, size) && _caches.ForCurrentThread().TryInsertLoaded(SizeClass.Of(size), pfn))
            return;
        FreeFastVia(null, pfn, size);
    }

    /// <summary>
    /// Creates a range cache owned by the caller: the per-thread fast path without the per-call thread lookup, for a
    /// caller that keeps one cache per worker (see <see cref="IovaCache"/>).
    /// </summary>
    /// <returns>A new, empty cache; dispose it to return its ranges to the tree.</returns>
    public IovaCache CreateCache()
    {
        ThrowIfDisposed();
        return new IovaCache(this);
    }

    // The hot path: a hit on the last entry of an owned cache's loaded magazine (what the kernel's rules pick first),
    // or an insert while it has room. It serves the cached sizes, 1..2^(classes-1), and only when nothing wraps the
    // fast path (recording, checked mode): then _hotSizeBound is 0 and `size - 1 < _hotSizeBound` fails for every
    // size, so one compare tests both. `pfn - StartPfn <= _hotLimitSpan` is StartPfn <= pfn <= MaxPfn in one compare.
    // Anything else (bad input, a miss, a closed cache) takes the full path, which starts over with nothing changed.
    // The cache is looked up only after these tests pass, where the full path would look it up too.

    /// <summary>An allocation the hot path may serve, with its class and the highest start that fits below the limit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsHotAllocation(ulong size, ulong limitPfn, out int sizeClass, out ulong maxStart)
    {
        // SizeClass.RoundForAllocation for a cached size: its class's power of two.
        sizeClass = SizeClass.Of(size);
        ulong rounded = 1UL << sizeClass;
        maxStart = limitPfn + 1 - rounded;
        return size - 1 < _hotSizeBound && limitPfn - StartPfn <= _hotLimitSpan && limitPfn + 1 >= rounded;
    }

    /// <summary>A free the hot path may take.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsHotFree(ulong pfn, ulong size) => size - 1 < _hotSizeBound && pfn - StartPfn <= _hotLimitSpan;

    /// <summary>
    /// The calling thread's own cache, for a layer above whose hot path reaches it directly (the DMA layer's thread
    /// mapper, made once per thread); null while the hot path is closed (recording, checked mode).
    /// </summary>
    internal ThreadCache? CurrentThreadCache() => _hotSizeBound != 0 ? _caches.ForCurrentThread() : null;

    /// <summary>
    /// Sizes <c>1..HotSizeBound</c> are the ones the hot path serves; 0 while it is closed (recording, checked mode).
    /// For a layer above (the DMA worker) that tests its arguments once for both layers.
    /// </summary>
    internal ulong HotSizeBound => _hotSizeBound;

    /// <summary>
    /// Whether every hot size may be taken below <paramref name="limitPfn"/> (and every pfn up to it freed) through
    /// <see cref="IovaCache.Owned"/>: the limit lies in the domain and the largest cached size fits under it, so
    /// <c>limitPfn + 1 - 2^class</c> never wraps.
    /// </summary>
    internal bool IsHotLimit(ulong limitPfn) => _hotSizeBound != 0 && limitPfn - StartPfn <= _hotLimitSpan && limitPfn + 1 >= _hotSizeBound;

    /// <summary>The cache of simulated CPU <paramref name="index"/>, for simulators that model the kernel's per-CPU caches.</summary>
    /// <param name="index">0 to <see cref="CpuCount"/> - 1.</param>
    /// <returns>The CPU's cache handle (the same object on every call).</returns>
    public SimulatedCpu Cpu(int index)
    {
        if ((uint)index >= (uint)_cpus.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"CPU index must be between 0 and {_cpus.Length - 1}.");
        ThrowIfDisposed();
        return _cpus[index];
    }

    /// <summary>
    /// Frees every cached range back to the tree: each simulated CPU in order, every thread's cache (their owners may
    /// keep running), then the depots. This is also what a failed <c>TryAllocateFast(..., true)</c> does.
    /// </summary>
    public void FlushCaches()
    {
        ThrowIfDisposed();
        if (_recorder is null)
        {
            _caches.FlushAll();
            return;
        }

        lock (_recorder.Gate)
        {
            _caches.FlushAll();

            // While recording no thread caches are used, so this is exactly every CPU's flush, then the depots'.
            for (int cpu = 0; cpu < _cpus.Length; cpu++)
                _recorder.Write(TraceOpCode.FlushCpu, TraceResult.Ok, (ulong)cpu);
            _recorder.Write(TraceOpCode.FlushGlobal, TraceResult.Ok);
        }
    }

    /// <summary><c>free_global_cached_iovas</c>: frees every magazine in the depots, class by class.</summary>
    public void FlushDepot()
    {
        ThrowIfDisposed();
        if (_recorder is null)
        {
            _caches.FlushDepots();
            return;
        }

        lock (_recorder.Gate)
        {
            _caches.FlushDepots();
            _recorder.Write(TraceOpCode.FlushGlobal, TraceResult.Ok);
        }
    }

    /// <summary>
    /// One run of the kernel's depot trim work: for each size class whose depot holds more full magazines than the
    /// threshold (one per cache: <see cref="CpuCount"/>, or the number of thread caches if larger), frees the head
    /// magazine. A background timer does this every <see cref="IovaDomainOptions.DepotTrimInterval"/>.
    /// </summary>
    /// <returns>Magazines freed (at most one per class).</returns>
    public int TrimDepot()
    {
        ThrowIfDisposed();
        if (_recorder is null)
            return _caches.TrimDepots();
        lock (_recorder.Gate)
        {
            int trimmed = _caches.TrimDepots();
            _recorder.Write(TraceOpCode.DepotTrim, TraceResult.Ok);
            return trimmed;
        }
    }

    /// <summary>
    /// Returns the ranges cached by threads that have exited, and by <see cref="IovaCache"/>s collected without being
    /// disposed, to the tree. Happens without being called: on every trim timer tick and whenever the number of
    /// thread caches doubles.
    /// </summary>
    /// <returns>Thread caches reclaimed.</returns>
    public int ReclaimDeadThreadCaches()
    {
        ThrowIfDisposed();
        return _caches.ReclaimDeadThreadCaches();
    }

    /// <summary>A snapshot of the domain's counters; cheap enough to poll.</summary>
    /// <returns>A new snapshot.</returns>
    public IovaStatistics GetStatistics()
    {
        ThrowIfDisposed();
        var classes = _caches.SizeClassStatistics();
        _treeLock.Enter();
        try
        {
            return new IovaStatistics
            {
                LiveRanges = _allocator.Tree.Count,
                LivePfns = _allocator.LivePfns,
                TreeAllocations = _allocator.Allocations,
                FailuresExhausted = _allocator.ExhaustedFailures,
                Failures32BitHint = _allocator.Dma32HintFailures,
                TreeFrees = _allocator.Removals,
                TreeLockContentions = _treeLock.Contentions,
                FastFailures = Interlocked.Read(ref _fastFailures),
                SizeClasses = classes,
                Flushes = _caches.Flushes,
                TrimmedMagazines = _caches.TrimmedMagazines,
                ThreadCaches = _caches.ThreadCacheCount,
                ReclaimedThreadCaches = _caches.ReclaimedThreadCaches,
            };
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>
    /// <see cref="AllocateFast"/> for a hot path's miss, its pfn returned in registers: the hot paths are inlined into
    /// their callers, and handing the caller's out parameter on by reference would keep that variable in memory on every
    /// call, so that its next use (mostly the free) waited for the reload.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal (bool Done, ulong Pfn) AllocateFastMiss(RangeCache? cache, ulong size, ulong limitPfn, bool flushCachesOnFailure) =>
        (AllocateFast(cache, size, limitPfn, flushCachesOnFailure, out ulong pfn), pfn);

    /// <summary>
    /// The fast-path allocation behind every public one. <paramref name="limitMayBeBelowStart"/>: the DMA layer's limits
    /// come from device masks, which may lie below an aperture's start; there the kernel's search fails (setting the
    /// 32-bit hint and flushing if asked) rather than refusing the call, and so does this one.
    /// </summary>
    internal bool AllocateFast(RangeCache? cache, ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn, bool limitMayBeBelowStart = false)
    {
        ValidateAllocation(size, limitPfn, limitMayBeBelowStart);
        ThrowIfDisposed();
        if (_recorder is null)
            return AllocateFastCore(cache, size, limitPfn, flushCachesOnFailure, out pfn);
        lock (_recorder.Gate)
        {
            var cpu = RecordingCpu(cache);
            bool ok = AllocateFastCore(cpu, size, limitPfn, flushCachesOnFailure, out pfn);
            _recorder.Write(TraceOpCode.AllocFast, ok ? TraceResult.Pfn(pfn) : TraceResult.Fail, size, limitPfn, flushCachesOnFailure ? 1UL : 0UL);
            return ok;
        }
    }

    private bool AllocateFastCore(RangeCache? cache, ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn)
    {
        ulong rounded = SizeClass.RoundForAllocation(size, _caches.ClassCount);
        int sizeClass = SizeClass.Of(rounded);

        // iova_rcache_get: a cached start must leave room for the block at or below the limit.
        if (sizeClass < _caches.ClassCount && limitPfn + 1 >= rounded)
        {
            cache ??= _caches.ForCurrentThread();
            if (cache.TryGet(sizeClass, limitPfn + 1 - rounded, out pfn))
            {
                if (_caches.Checker is not null)
                    LeaveCacheChecked(pfn);
                return true;
            }
        }

        if (TryAllocateForCache(rounded, limitPfn, out pfn))
            return true;
        if (flushCachesOnFailure)
        {
            _caches.FlushAll();
            if (TryAllocateForCache(rounded, limitPfn, out pfn))
                return true;
        }

        Interlocked.Increment(ref _fastFailures);
        return false;
    }

    internal void FreeFastVia(RangeCache? cache, ulong pfn, ulong size)
    {
        ValidatePfn(pfn, nameof(pfn));
        if (size == 0 || size > MaxPfn)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"Size must be between 1 and {MaxPfn} pfns.");
        ThrowIfDisposed();
        if (_recorder is null)
        {
            FreeFastCore(cache, pfn, size);
            return;
        }

        lock (_recorder.Gate)
        {
            FreeFastCore(RecordingCpu(cache), pfn, size);
            _recorder.Write(TraceOpCode.FreeFast, TraceResult.Ok, pfn, size);
        }
    }

    private void FreeFastCore(RangeCache? cache, ulong pfn, ulong size)
    {
        int sizeClass = SizeClass.Of(size);
        if (sizeClass < _caches.ClassCount)
        {
            if (_caches.Checker is not null)
                EnterCacheChecked(pfn, sizeClass);
            cache ??= _caches.ForCurrentThread();
            if (cache.TryInsert(sizeClass, pfn))
                return;
            if (_caches.Checker is not null)
                LeaveCacheChecked(pfn);
        }
        else if (_caches.Checker is not null)
        {
            VerifyFastFreeChecked(pfn, sizeClass);
        }

        // free_iova_fast falls back to free_iova: the range containing pfn, if any.
        FreeCore(pfn);
    }

    /// <summary>
    /// The cache behind a new <see cref="IovaCache"/>, or null while recording: a recorded fast op runs on a simulated
    /// CPU's cache, the only kind the trace format has (as the per-thread path does), and a cache that is never used
    /// must not count towards the depot trim threshold.
    /// </summary>
    internal ThreadCache? CreateOwnedCache(IovaCache owner) => _recorder is null ? _caches.CreateOwned(owner) : null;

    /// <summary>Disposing an <see cref="IovaCache"/>: its ranges go back to the tree (also after the domain's Dispose).</summary>
    internal void ReleaseOwned(ThreadCache? cache)
    {
        if (cache is not null)
            _caches.Release(cache);
    }

    /// <summary>An <see cref="IovaCache"/>'s own flush (nothing to do while recording: it then has no cache).</summary>
    internal void FlushOwned(ThreadCache? cache)
    {
        ThrowIfDisposed();
        if (cache is not null)
            _caches.FlushOwned(cache);
    }

    internal void FlushCpu(CpuCache cache)
    {
        ThrowIfDisposed();
        if (_recorder is null)
        {
            cache.Flush(this);
            return;
        }

        lock (_recorder.Gate)
        {
            cache.Flush(this);
            _recorder.Write(TraceOpCode.FlushCpu, TraceResult.Ok, (ulong)cache.Index);
        }
    }

    /// <summary>
    /// While recording, the CPU cache a fast-path call uses: its own for a simulated CPU; for the per-thread API, the
    /// simulated CPU of the processor the thread runs on (thread caches cannot be written as a trace). Under the gate.
    /// </summary>
    private CpuCache RecordingCpu(RangeCache? cache)
    {
        var cpu = cache as CpuCache ?? _caches.Cpu(Thread.GetCurrentProcessorId() % _cpus.Length);
        _recorder!.SelectCpu(cpu.Index);
        return cpu;
    }

    private void EnterCacheChecked(ulong pfn, int sizeClass)
    {
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            _caches.Checker!.EnterCache(_allocator.Tree, pfn, sizeClass);
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    private void LeaveCacheChecked(ulong pfn)
    {
        _treeLock.Enter();
        _caches.Checker!.LeaveCache(pfn);
        _treeLock.Exit();
    }

    private void VerifyFastFreeChecked(ulong pfn, int sizeClass)
    {
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            _caches.Checker!.VerifyStartsRangeOfClass(_allocator.Tree, pfn, sizeClass);
        }
        finally
        {
            _treeLock.Exit();
        }
    }
}
