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
/// In <see cref="DmaUnmapMode.Lazy"/> its unmaps wait in its own 256-slot flush queue, freed into its own cache by its
/// own flush-all when the ring is full and by its next unmap after a timer run (the timer does not stop a busy worker;
/// it frees the queue of one that has stopped unmapping); in <see cref="DmaUnmapMode.LazySingleQueue"/> they share the
/// domain's one queue.
/// <see cref="Dispose"/> flushes and frees its queue and returns its cached ranges to the tree. A worker dropped
/// without Dispose leaves nothing behind either: the timer frees its queue, and its cache is reclaimed as an
/// undisposed <see cref="IovaCache"/> is.
/// </para>
/// </remarks>
public sealed class DmaWorker : DmaMapper, IDisposable
{
    private readonly IovaCache _cache;
    private readonly ulong _startPfn;

    // The queue holds its owner weakly: this object, which only the worker references, so that an undisposed worker
    // can be collected and its queue found abandoned.
    private readonly object _queueOwner;
    private int _disposed;

    private DmaWorker(DmaDomain domain, IovaCache cache, FlushQueue? queue, object queueOwner)
        : base(domain, queue, cache.Owned)
    {
        _cache = cache;
        _startPfn = domain.Iova.StartPfn;
        _queueOwner = queueOwner;
    }

    /// <summary>Made by <see cref="DmaDomain.CreateWorker"/>.</summary>
    internal static DmaWorker Create(DmaDomain domain)
    {
        var owner = new object();
        return new DmaWorker(domain, domain.Iova.CreateCache(), domain.Queues?.CreateOwned(owner), owner);
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

    internal override bool TryAllocateFast(ulong pages, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
        limitPfn >= _startPfn
            ? _cache.TryAllocateFast(pages, limitPfn, flushCachesOnFailure, out pfn)
            : Domain.Iova.AllocateFast(null, pages, limitPfn, flushCachesOnFailure, out pfn, limitMayBeBelowStart: true);

    internal override void FreeFast(ulong pfn, ulong pages) => _cache.FreeFast(pfn, pages);
}
