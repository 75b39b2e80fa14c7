namespace FastIova.Dma;

/// <summary>
/// A lazy domain's flush queues with what they share (the flush-queue part of Linux's <c>struct iommu_dma_cookie</c>):
/// the flush-start and flush-finish counters, the timer and its armed flag. The rules of <c>queue_iova</c>,
/// <c>fq_flush_iotlb</c> and <c>fq_flush_timeout</c> live here.
/// </summary>
internal sealed class FlushQueues : IDisposable
{
    /// <summary><c>IOVA_DEFAULT_FQ_SIZE</c>: slots per CPU queue.</summary>
    public const int PerCpuSlots = 256;

    /// <summary><c>IOVA_SINGLE_FQ_SIZE</c>: slots of the shared queue.</summary>
    public const int SingleQueueSlots = 32768;

    private static readonly TimeSpan PerCpuTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan SingleQueueTimeout = TimeSpan.FromMilliseconds(1000);

    private readonly FlushQueue[] _cpuQueues;
    private readonly IIommuModel? _iommu;
    private readonly Timer? _timer;
    private readonly TimeSpan _timeout;
    private readonly Func<IIovaSink>? _timerSink;

    // Invariant: _finish <= _start. An entry stamped with start s may be freed once _finish > s: a flush-all that began
    // after it was queued has completed.
    private long _start;
    private long _finish;
    private int _timerOn;
    private IIovaSink? _armedBy;

    /// <summary>Creates the queues of a lazy domain.</summary>
    /// <param name="single">One shared queue (<see cref="DmaUnmapMode.LazySingleQueue"/>) rather than one per CPU.</param>
    /// <param name="cpuCount">Simulated CPUs.</param>
    /// <param name="iommu">The model told of each flush-all, or null.</param>
    /// <param name="realTimerSink">
    /// For a real timer: where the timer thread frees what it reaps. Null for a simulated timer, whose frees go to the
    /// sink of the unmap that armed it (the kernel's timer runs on the CPU that armed it).
    /// </param>
    public FlushQueues(bool single, int cpuCount, IIommuModel? iommu, Func<IIovaSink>? realTimerSink)
    {
        Single = single;
        _iommu = iommu;
        _cpuQueues = new FlushQueue[single ? 1 : cpuCount];
        for (int i = 0; i < _cpuQueues.Length; i++)
            _cpuQueues[i] = new FlushQueue(single ? SingleQueueSlots : PerCpuSlots);
        _timeout = single ? SingleQueueTimeout : PerCpuTimeout;
        _timerSink = realTimerSink;
        if (realTimerSink is not null)
            _timer = new Timer(static state => ((FlushQueues)state!).Timeout(), this, System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
    }

    /// <summary>Whether all CPUs share one queue.</summary>
    public bool Single { get; }

    /// <summary>Entries waiting in all queues (<c>fq_pending</c>).</summary>
    public int Pending
    {
        get
        {
            int pending = 0;
            foreach (FlushQueue queue in _cpuQueues)
                pending += queue.Count;
            return pending;
        }
    }

    /// <summary>IOTLB flush-alls done (the flush-finish count, <c>iotlb_flushes</c>).</summary>
    public long Flushes => Volatile.Read(ref _finish);

    /// <summary>Whether the timer is armed.</summary>
    public bool TimerArmed => Volatile.Read(ref _timerOn) != 0;

    /// <summary>The queue that CPU <paramref name="cpu"/>'s unmaps use.</summary>
    public FlushQueue ForCpu(int cpu) => _cpuQueues[Single ? 0 : cpu];

    /// <summary>
    /// <c>queue_iova</c>: frees what the queue may free, flushes if it is still full, appends the IOVA and arms the
    /// timer. Frees go through <paramref name="sink"/>, the unmapping CPU's cache.
    /// </summary>
    public void Enqueue(FlushQueue queue, IIovaSink sink, ulong pfn, ulong pages)
    {
        lock (queue)
        {
            // Entries that another CPU's flush has already covered: freeing them first makes a full ring less likely.
            queue.Reap(Volatile.Read(ref _finish), sink);
            if (queue.IsFull)
            {
                FlushIotlb();
                queue.Reap(Volatile.Read(ref _finish), sink);
            }

            queue.Append(pfn, pages, Volatile.Read(ref _start));
        }

        // The read first keeps the flag's line shared while the timer is armed, as the kernel does.
        if (Volatile.Read(ref _timerOn) == 0 && Interlocked.Exchange(ref _timerOn, 1) == 0)
        {
            Volatile.Write(ref _armedBy, sink);
            _timer?.Change(_timeout, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// <c>fq_flush_timeout</c>: if the timer is armed, disarms it, flushes, and reaps every queue in CPU order into
    /// the cache of the CPU that armed it.
    /// </summary>
    /// <returns>False (nothing done) if the timer was not armed.</returns>
    public bool Timeout()
    {
        if (Interlocked.Exchange(ref _timerOn, 0) == 0)
            return false;
        FlushIotlb();
        IIovaSink sink = _timerSink?.Invoke() ?? Volatile.Read(ref _armedBy)!;
        ReapAll(sink);
        return true;
    }

    /// <summary>An explicit flush: one flush-all, then every queue reaped into <paramref name="sink"/>.</summary>
    public void FlushAndReap(IIovaSink sink)
    {
        FlushIotlb();
        ReapAll(sink);
    }

    /// <inheritdoc />
    public void Dispose() => _timer?.Dispose();

    private void ReapAll(IIovaSink sink)
    {
        foreach (FlushQueue queue in _cpuQueues)
        {
            lock (queue)
                queue.Reap(Volatile.Read(ref _finish), sink);
        }
    }

    // fq_flush_iotlb: the start count moves before the flush and the finish count after it, so an entry stamped with
    // the old start is freed only once a flush that began after it was queued has completed.
    private void FlushIotlb()
    {
        Interlocked.Increment(ref _start);
        _iommu?.FlushIotlbAll();
        Interlocked.Increment(ref _finish);
    }
}
