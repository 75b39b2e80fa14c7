namespace FastIova.Dma;

/// <summary>
/// A lazy domain's flush queues with what they share (the flush-queue part of Linux's <c>struct iommu_dma_cookie</c>):
/// the flush-start and flush-finish counters, the timer and its armed flag. The rules of <c>queue_iova</c>,
/// <c>fq_flush_iotlb</c> and <c>fq_flush_timeout</c> live here, and the owned queues' own rule beside them
/// (<see cref="FlushQueue"/>'s remarks).
/// </summary>
/// <remarks>
/// <para>
/// Two sets of queues: the shared ones (one per simulated CPU, or the single queue), made with the domain, and the
/// owned ones of threads and <see cref="DmaWorker"/>s (per-CPU mode only), registered as they appear. The timer and
/// the explicit flushes reach both, the CPUs' first and in CPU order, as the kernel does. The counters are the shared
/// queues' only: an owned queue keeps its own (<see cref="FlushQueue"/>'s remarks).
/// </para>
/// <para>
/// Lock order: the timer gate, then the reap gate (one reaper of owned queues at a time), then a queue (its lock or
/// its handshake), then the range caches and the tree. The registry lock is taken alone.
/// </para>
/// </remarks>
internal sealed partial class FlushQueues
{
    /// <summary><c>IOVA_DEFAULT_FQ_SIZE</c>: slots per CPU queue.</summary>
    public const int PerCpuSlots = 256;

    /// <summary><c>IOVA_SINGLE_FQ_SIZE</c>: slots of the shared queue.</summary>
    public const int SingleQueueSlots = 32768;

    // The registry is swept for abandoned queues whenever it has doubled since the last sweep, and at least at this size.
    private const int MinimumSweep = 16;

    /// <summary><c>IOVA_DEFAULT_FQ_TIMEOUT</c>.</summary>
    public static readonly TimeSpan PerCpuTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary><c>IOVA_SINGLE_FQ_TIMEOUT</c>.</summary>
    public static readonly TimeSpan SingleQueueTimeout = TimeSpan.FromMilliseconds(1000);

    private readonly FlushQueue[] _cpuQueues;
    private readonly int _ownedSlots;
    private readonly IIommuModel? _iommu;
    private readonly DmaTimerCache _timerCache;
    private readonly bool _realTimer;
    private readonly Timer? _timer;
    private readonly TimeSpan _timeout;
    private readonly object _timerGate = new();
    private readonly object _reapGate = new();
    private readonly object _registryLock = new();

    // Copy on write: the reapers walk a snapshot without the registry lock; owners register rarely.
    private FlushQueue[] _ownedQueues = [];
    private int _sweepAt = MinimumSweep;

    // Invariant: _finish <= _start. An entry of a shared queue stamped with start s may be freed once _finish > s: a
    // flush-all that began after it was queued has completed.
    private long _start;
    private long _finish;

    // The own flushes of owned queues no longer registered (Flushes adds the registered ones').
    private long _retiredFlushes;

    private int _timerOn;
    private bool _timerStopped;
    private IIovaSink? _armedBy;

    /// <summary>Creates the queues of a lazy domain.</summary>
    /// <param name="single">One shared queue (<see cref="DmaUnmapMode.LazySingleQueue"/>) rather than one per CPU.</param>
    /// <param name="cpuCount">Simulated CPUs.</param>
    /// <param name="iommu">The model told of each flush-all, or null.</param>
    /// <param name="timerCache">The domain's timer cache: where a real timer frees, and a simulated one where the
    /// mapper that armed it cannot be used from another thread.</param>
    /// <param name="realTimer">A real timer; otherwise the timer is an event the caller fires, and its frees go to the
    /// mapper whose unmap armed it (the kernel's timer runs on the CPU that armed it).</param>
    /// <param name="timerPeriod">
    /// The real timer's period; null for the kernel's (10 ms, or 1000 ms for the single queue). An infinite period
    /// keeps the real timer's rules without a timer: <see cref="OnTimer"/> is then called by hand (tests).
    /// </param>
    /// <param name="slots">Slots per queue; null for the kernel's. Smaller rings fill within a few unmaps (tests).</param>
    public FlushQueues(bool single, int cpuCount, IIommuModel? iommu, DmaTimerCache timerCache, bool realTimer, TimeSpan? timerPeriod = null, int? slots = null)
    {
        Single = single;
        _iommu = iommu;
        _timerCache = timerCache;
        _realTimer = realTimer;
        _ownedSlots = slots ?? PerCpuSlots;
        _cpuQueues = new FlushQueue[single ? 1 : cpuCount];
        for (int i = 0; i < _cpuQueues.Length; i++)
            _cpuQueues[i] = new FlushQueue(slots ?? (single ? SingleQueueSlots : PerCpuSlots));
        _timeout = timerPeriod ?? (single ? SingleQueueTimeout : PerCpuTimeout);
        if (realTimer && _timeout != System.Threading.Timeout.InfiniteTimeSpan)
            _timer = new Timer(static state => ((FlushQueues)state!).OnTimer(), this, System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
    }

    /// <summary>Whether all CPUs share one queue.</summary>
    public bool Single { get; }

    /// <summary>Entries waiting in all queues (<c>fq_pending</c>, plus the threads' and workers' queues).</summary>
    public int Pending
    {
        get
        {
            int pending = 0;
            foreach (FlushQueue queue in _cpuQueues)
                pending += queue.Count;
            foreach (FlushQueue queue in Volatile.Read(ref _ownedQueues))
                pending += queue.Count;
            return pending;
        }
    }

    /// <summary>IOTLB flush-alls done (<c>iotlb_flushes</c>): the flush-finish count, plus the owned queues' own.</summary>
    public long Flushes
    {
        get
        {
            // Under the registry lock, where a forgotten queue's count moves to _retiredFlushes.
            lock (_registryLock)
            {
                long flushes = Volatile.Read(ref _finish) + _retiredFlushes;
                foreach (FlushQueue queue in _ownedQueues)
                    flushes += queue.OwnFlushes;
                return flushes;
            }
        }
    }

    /// <summary>The queue that CPU <paramref name="cpu"/>'s unmaps use.</summary>
    public FlushQueue ForCpu(int cpu) => _cpuQueues[Single ? 0 : cpu];

    /// <summary>
    /// <c>queue_iova</c>: frees what the queue may free, flushes if it is still full, appends the IOVA and arms the
    /// timer. Frees go through <paramref name="via"/>, the unmapping mapper's cache. An owned queue's owner frees what
    /// the real timer's last cover made freeable, and flushes on its own when the ring is full.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The queue is closed (its domain or worker was disposed).</exception>
    public void Enqueue(FlushQueue queue, DmaMapper via, ulong pfn, ulong pages)
    {
        if (queue.IsOwned)
        {
            queue.EnterAsOwner();
            try
            {
                long covered = queue.TakeCoverAsOwner();
                if (queue.CanReap(covered))
                    via.Reap(queue, covered);
                if (queue.IsFull)
                    FlushOwned(queue, via);
                queue.AppendAsOwner(pfn, pages);
            }
            finally
            {
                queue.ExitAsOwner();
            }
        }
        else
        {
            lock (queue)
            {
                ObjectDisposedException.ThrowIf(queue.IsClosed, typeof(DmaDomain));
                AppendShared(queue, via, pfn, pages);
            }
        }

        ArmTimerIfIdle(via);
    }

    /// <summary>An explicit flush: one flush-all, then everything queued before it, in every queue, freed into <paramref name="sink"/>.</summary>
    public void FlushAndReap(IIovaSink sink) => FlushAndReapAll(sink, close: false);

    /// <summary>
    /// Dispose of the domain: stops the timer (waiting for a run in progress), closes every queue so that later unmaps
    /// throw, and frees everything queued after one last flush-all into <paramref name="sink"/>.
    /// </summary>
    public void Close(IIovaSink sink)
    {
        lock (_timerGate)
        {
            _timerStopped = true;
            _timer?.Dispose();
        }

        // Close first, then flush: an unmap that got into a shared queue before it closed is in the ring by the time the
        // queue is held below, so the flush that starts after that covers it. The owned queues are closed and held
        // before the flush.
        foreach (FlushQueue queue in _cpuQueues)
        {
            lock (queue)
                queue.Close();
        }

        FlushAndReapAll(sink, close: true);
    }

    private void AppendShared(FlushQueue queue, DmaMapper via, ulong pfn, ulong pages)
    {
        // Entries that another queue's flush has already covered: freeing them first makes a full ring less likely.
        long finished = Volatile.Read(ref _finish);
        if (queue.CanReap(finished))
            via.Reap(queue, finished);
        if (queue.IsFull)
            via.Reap(queue, FlushIotlb());
        queue.Append(pfn, pages, Volatile.Read(ref _start));
    }

    // The owner holds its full ring: every entry in it was queued before this flush-all begins.
    private void FlushOwned(FlushQueue queue, DmaMapper via)
    {
        _iommu?.FlushIotlbAll();
        queue.CountOwnFlush();
        via.ReapAll(queue);
    }

    // Every owned queue held (and closed first, if asked) and freed whole after one flush-all.
    private void FlushAndReapAll(IIovaSink sink, bool close)
    {
        lock (_reapGate)
            FlushHoldingAndCovering(Volatile.Read(ref _ownedQueues), covered: [], close, sink);
        DropAbandoned();
    }

    // The timer's and the explicit flushes' one flush-all, under the reap gate: the `held` owned queues (closed first,
    // if asked) are held from before it begins and freed whole; the `covered` ones get a cover around it (their owners
    // free what it covers); the shared queues, in CPU order, each under its lock, free what it covers, as the kernel's.
    private void FlushHoldingAndCovering(ReadOnlySpan<FlushQueue> held, ReadOnlySpan<FlushQueue> covered, bool close, IIovaSink sink)
    {
        Hold(held, close);
        try
        {
            foreach (FlushQueue queue in covered)
                queue.BeginCover();
            long bound = FlushIotlb();
            foreach (FlushQueue queue in covered)
                queue.EndCover();
            foreach (FlushQueue queue in _cpuQueues)
            {
                lock (queue)
                    queue.Reap(bound, sink);
            }

            foreach (FlushQueue queue in held)
                queue.ReapAll(sink);
        }
        finally
        {
            foreach (FlushQueue queue in held)
                queue.ReleaseReap();
        }
    }

    // fq_flush_iotlb: the start count moves before the flush and the finish count after it, so an entry stamped with
    // the old start is freed only once a flush that began after it was queued has completed. Returns the bound this
    // flush covers (its own start, plus one): the finish count may lag it while another flush is in progress, but
    // every entry stamped below it was queued before this flush began, and this flush has completed.
    private long FlushIotlb()
    {
        long covered = Interlocked.Increment(ref _start);
        _iommu?.FlushIotlbAll();
        long finished = Interlocked.Increment(ref _finish);
        return Math.Max(covered, finished);
    }
}
