using System.Runtime.CompilerServices;
using FastIova.Caches;

namespace FastIova;

/// <summary>
/// A range cache owned by its caller (<see cref="IovaDomain.CreateCache"/>): the same magazines and depot as the
/// domain's per-thread fast path, without finding the calling thread's cache on every call. For callers that keep one
/// cache per worker thread, simulated queue or device; like a kernel driver's per-CPU cache, it is the caller who keeps
/// it to one user at a time.
/// </summary>
/// <remarks>
/// <para>
/// Not safe for concurrent use: as with <see cref="List{T}"/>, two threads must not call one cache at the same time
/// (that could hand out a range twice). It may move between threads when the hand-over synchronizes (a lock, a
/// queue, a task continuation). Everything else may run concurrently with its use: other caches, the domain's
/// <see cref="IovaDomain.FlushCaches"/>, a failing allocation's flush, and <see cref="IovaDomain.Dispose"/>.
/// </para>
/// <para>
/// Ranges cached here stay allocated in the tree until a flush, as in every cache of the domain. <see cref="Dispose"/>
/// returns them; a cache that is dropped without being disposed is found once it has been collected and emptied like
/// the cache of an exited thread (<see cref="IovaDomain.ReclaimDeadThreadCaches"/>). Any cache or thread may free a
/// range that another allocated.
/// </para>
/// <para>
/// While the domain records (<see cref="IovaDomainOptions.Recorder"/>), its operations run and are recorded on the
/// simulated CPU of the processor the calling thread runs on, as the per-thread path's are: the trace format knows
/// only CPU caches.
/// </para>
/// </remarks>
public sealed class IovaCache : IDisposable
{
    private readonly IovaDomain _domain;

    // Null while the domain records (see IovaDomain.CreateOwnedCache); the hot path is closed then, so it never
    // reaches the null.
    private readonly ThreadCache? _cache;
    private int _disposed;

    internal IovaCache(IovaDomain domain)
    {
        _domain = domain;
        _cache = domain.CreateOwnedCache(this);
    }

    /// <summary>The domain whose ranges this cache holds.</summary>
    public IovaDomain Domain => _domain;

    /// <summary>
    /// <c>alloc_iova_fast</c> through this cache; the same rules and results as <see cref="IovaDomain.TryAllocateFast"/>.
    /// </summary>
    /// <param name="size">Pfns wanted, at least 1 (the range handed out has the rounded size).</param>
    /// <param name="limitPfn">The highest pfn the range may use (inclusive).</param>
    /// <param name="flushCachesOnFailure">On failure, flush every cache and the depots back to the tree and retry once.</param>
    /// <param name="pfn">The first pfn of the range, or 0 on failure.</param>
    /// <returns>Whether a range was obtained.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The size or the limit is out of range.</exception>
    /// <exception cref="ObjectDisposedException">This cache or its domain has been disposed.</exception>
    public bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn)
    {
        // A disposed cache is closed, so its calls always reach the check below.
        if (_domain.IsHotAllocation(size, limitPfn, out int sizeClass, out ulong maxStart)
            && _cache!.TryGetLastLoaded(sizeClass, maxStart, out pfn))
            return true;
        ThrowIfDisposed();
        (bool done, pfn) = _domain.AllocateFastMiss(_cache, size, limitPfn, flushCachesOnFailure);
        return done;
    }

    /// <summary>
    /// The cache itself, for a layer above whose hot path tests its arguments once for both layers (the DMA worker): it
    /// then calls <see cref="ThreadCache.TryGetLastLoaded"/> and <see cref="ThreadCache.TryInsertLoaded"/> only where
    /// <see cref="IovaDomain.IsHotAllocation"/> and <see cref="IovaDomain.IsHotFree"/> would hold. Null while the domain
    /// records (its <see cref="IovaDomain.HotSizeBound"/> is then 0).
    /// </summary>
    internal ThreadCache? Owned => _cache;

    /// <summary><c>free_iova_fast</c> through this cache; the same rules as <see cref="IovaDomain.FreeFast"/>.</summary>
    /// <param name="pfn">The first pfn of a range obtained from a fast-path allocation (through any cache or thread).</param>
    /// <param name="size">The size passed when it was allocated.</param>
    /// <exception cref="ArgumentOutOfRangeException">The pfn or the size is out of range.</exception>
    /// <exception cref="ObjectDisposedException">This cache or its domain has been disposed.</exception>
    /// <exception cref="InvalidOperationException">Checked mode, and the pfn does not start a live range of the size's
    /// class, or is already cached.</exception>
    public void FreeFast(ulong pfn, ulong size)
    {
        if (_domain.IsHotFree(pfn, size) && _cache!.TryInsertLoaded(SizeClass.Of(size), pfn))
            return;
        ThrowIfDisposed();
        _domain.FreeFastVia(_cache, pfn, size);
    }

    /// <summary>
    /// <c>free_cpu_cached_iovas</c> for this cache: returns every range it holds to the tree (each size class in order,
    /// <c>loaded</c> then <c>prev</c>); the cache stays usable.
    /// </summary>
    /// <exception cref="ObjectDisposedException">This cache or its domain has been disposed.</exception>
    public void Flush()
    {
        ThrowIfDisposed();
        _domain.FlushOwned(_cache);
    }

    /// <summary>Returns every range this cache holds to the tree, and closes it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _domain.ReleaseOwned(_cache);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
