using System.Runtime.CompilerServices;
using FastIova.Caches;

namespace FastIova.Dma;

/// <summary>
/// The DMA API on range caches and a flush queue of its own, for a caller that keeps one per worker thread, device
/// queue or simulated engine (<see cref="DmaDomain.CreateWorker"/>): the layer's fastest way to map, with no per-call
/// lookup of the calling thread. Like <see cref="IovaCache"/>, which it holds, it is the caller who keeps it to one
/// user at a time.
/// </summary>
/// <remarks>
/// <para>
/// Not safe for concurrent use: two threads must not call one worker at the same time. It may move between threads
/// when the hand-over synchronizes (a lock, a queue, a task continuation). Everything else may run concurrently with
/// it: other workers and threads, the flush timer (which frees what this worker queued, in the domain's timer cache),
/// <see cref="DmaDomain.FlushUnmapQueues"/> and <see cref="DmaDomain.Dispose"/>.
/// </para>
/// <para>
/// In <see cref="DmaUnmapMode.Lazy"/> its unmaps wait in its own 256-slot flush queue, reaped by its later unmaps (into
/// its own cache) and by the timer; in <see cref="DmaUnmapMode.LazySingleQueue"/> they share the domain's one queue.
/// <see cref="Dispose"/> flushes and frees its queue and returns its cached ranges to the tree. A worker dropped
/// without Dispose leaves nothing behind either: the timer frees its queue, and its cache is reclaimed as an
/// undisposed <see cref="IovaCache"/> is.
/// </para>
/// </remarks>
public sealed class DmaWorker : DmaMapper, IDisposable
{
    private readonly IovaCache _cache;
    private readonly ThreadCache? _owned; // the cache's magazines, which the hot paths use directly (IovaCache.Owned)
    private readonly ulong _startPfn;

    // The hot paths' copies of the domain's geometry (see DmaDomain.HotGeometry) and model, and the queue they append
    // to without a lock: the worker's own (null in strict mode, and in single-queue mode, whose shared queue takes its
    // lock).
    private readonly ulong _granuleMask;
    private readonly int _shift;
    private readonly ulong _firstAddress;
    private readonly ulong _apertureEnd;
    private readonly ulong _apertureSpan;
    private readonly ulong _hotPages;
    private readonly FlushQueues? _queues;
    private readonly FlushQueue? _ownedQueue;
    private readonly IIommuModel? _iommu;
    private readonly HotUnmap _hotUnmap;

    // The queue holds its owner weakly: this object, which only the worker references, so that an undisposed worker
    // can be collected and its queue found abandoned.
    private readonly object _queueOwner;
    private int _disposed;

    private DmaWorker(DmaDomain domain, IovaCache cache, FlushQueues? queues, FlushQueue? queue, object queueOwner)
        : base(domain, queue)
    {
        _cache = cache;
        _owned = cache.Owned;
        _startPfn = domain.Iova.StartPfn;
        (_granuleMask, _shift, _firstAddress, _apertureEnd, _hotPages) = domain.HotGeometry;
        _apertureSpan = _apertureEnd - _firstAddress;
        _queues = queues;
        _ownedQueue = queue is { IsOwned: true } ? queue : null;
        _iommu = domain.Iommu;
        _hotUnmap = _iommu is not null ? HotUnmap.Told : queues is null ? HotUnmap.IntoCache : _ownedQueue is not null ? HotUnmap.IntoQueue : HotUnmap.None;
        _queueOwner = queueOwner;
    }

    /// <summary>Made by <see cref="DmaDomain.CreateWorker"/>.</summary>
    internal static DmaWorker Create(DmaDomain domain, FlushQueues? queues)
    {
        var owner = new object();
        return new DmaWorker(domain, domain.Iova.CreateCache(), queues, queues?.CreateOwned(owner), owner);
    }

    /// <summary>The range cache the worker maps through (its IOVA-level view).</summary>
    public IovaCache Iova => _cache;

    /// <summary>
    /// Flushes the IOTLB if the worker's queue holds anything and frees what it held, returns the worker's cached ranges
    /// to the tree, and closes the worker: its later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (Queue is not null)
            Domain.RetireQueue(Queue, this);
        _cache.Dispose();
        GC.KeepAlive(_queueOwner);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The common map takes a few steps: a device whose hot map is open (<see cref="DmaDevice.HotDomain"/>: this
    /// domain, mapping, not recording or checked), a buffer within 2^64 that touches a cached number of granules, and
    /// a hit in the loaded magazine below the limit the rules try first. That is the answer the rules give (their first
    /// step is the same hit); an IOMMU model is then told of the map as they tell it. Anything else goes to the rules
    /// with nothing changed, and they throw where the arguments are bad.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool TryMap(DmaDevice device, ulong physical, ulong size, out ulong dmaAddress)
    {
        // `size - 1 <= ~physical`: at least 1 byte, ending within 2^64; then the granule count cannot wrap either.
        if (device?.HotDomain == Domain && size - 1 <= ~physical)
        {
            ulong offset = physical & _granuleMask;
            ulong lastPage = (offset + (size - 1)) >> _shift; // the granules touched, less one
            if (lastPage < _hotPages)
            {
                int sizeClass = SizeClass.Of(lastPage + 1);
                if (_owned!.TryGetLastLoaded(sizeClass, device.HotLimitEnd - (1UL << sizeClass), out ulong pfn))
                {
                    dmaAddress = (pfn << _shift) + offset;
                    return _iommu is null || TellMap(device, pfn, physical - offset, lastPage + 1, ref dmaAddress);
                }
            }
        }

        return base.TryMap(device!, physical, size, out dmaAddress);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The common unmap takes a few steps: an address in the aperture and a size within it (the rules' tests, folded)
    /// and a cached number of granules; then strict mode's insert into the loaded magazine, or lazy mode's append to
    /// the worker's own queue when nothing in it may be freed yet. With an IOMMU model it goes on through the rules'
    /// later steps itself, the model told first. Anything else goes to the rules.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Unmap(ulong dmaAddress, ulong size)
    {
        if (dmaAddress - _firstAddress <= _apertureSpan && size - 1 <= _apertureEnd - dmaAddress)
        {
            ulong lastPage = ((dmaAddress & _granuleMask) + (size - 1)) >> _shift;
            if (lastPage < _hotPages)
            {
                ulong pfn = dmaAddress >> _shift;
                HotUnmap path = _hotUnmap;
                if (path == HotUnmap.IntoCache ? _owned!.TryInsertLoaded(SizeClass.Of(lastPage + 1), pfn)
                    : path == HotUnmap.IntoQueue ? TryAppend(pfn, lastPage + 1)
                    : path == HotUnmap.Told && TryUnmapTold(pfn, lastPage + 1))
                    return;
            }
        }

        base.Unmap(dmaAddress, size);
    }

    // The rules' page-table map after the allocation (TryMapPages): a refusal frees the range at once.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TellMap(DmaDevice device, ulong pfn, ulong physical, ulong pages, ref ulong dmaAddress)
    {
        if (_iommu!.TryMap(device, pfn << _shift, physical, pages << _shift))
            return true;
        FreeFast(pfn, pages);
        dmaAddress = 0;
        return false;
    }

    // queue_iova's append when nothing needs reaping, then its timer; false (nothing done) otherwise.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAppend(ulong pfn, ulong pages)
    {
        FlushQueues queues = _queues!;
        if (!_ownedQueue!.TryAppendAsOwner(pfn, pages, queues.Finished, queues.Started))
            return false;
        queues.ArmTimerIfIdle(this);
        return true;
    }

    // UnmapCore's steps after its checks, the model told first; false (nothing done) once the domain is disposed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryUnmapTold(ulong pfn, ulong pages)
    {
        if (Domain.IsDisposed)
            return false;
        ulong iova = pfn << _shift, bytes = pages << _shift;
        _iommu!.Unmap(iova, bytes);
        if (_queues is null)
        {
            _iommu.SyncIotlb(iova, bytes);
            FreeFast(pfn, pages);
        }
        else if (_ownedQueue is null || !TryAppend(pfn, pages))
        {
            _queues.Enqueue(Queue!, this, pfn, pages);
        }

        return true;
    }

    internal override bool TryAllocateFast(ulong pages, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
        limitPfn >= _startPfn
            ? _cache.TryAllocateFast(pages, limitPfn, flushCachesOnFailure, out pfn)
            : Domain.Iova.AllocateFast(null, pages, limitPfn, flushCachesOnFailure, out pfn, limitMayBeBelowStart: true);

    internal override void FreeFast(ulong pfn, ulong pages) => _cache.FreeFast(pfn, pages);

    // The worker's own reaps (a full queue, or entries another flush has covered) put the cached sizes straight into
    // its loaded magazines.
    internal override int Reap(FlushQueue queue, long finished) => queue.Reap(finished, this, _owned, _hotPages);

    // Where an unmap that passed the hot tests goes, fixed by the domain's mode and model.
    private enum HotUnmap : byte
    {
        None, // single-queue mode: the shared queue takes its lock, in the rules
        IntoCache, // strict: the loaded magazine
        IntoQueue, // lazy: the worker's own ring
        Told, // an IOMMU model: TryUnmapTold
    }
}
