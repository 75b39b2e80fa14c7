using FastIova.Dma;
using FastIova.Perf.Scaling.Sources;

namespace FastIova.Perf.Scaling;

/// <summary>
/// The per-thread pattern (<see cref="PerThreadWorker{TSource}"/>) over the DMA layer: each thread keeps 32 live
/// 4 KiB mappings of a 64-bit device (or <see cref="ScalingSettings.WorkingSet"/>) and, round robin, unmaps the oldest
/// and maps a new one, through a <see cref="DmaWorker"/> of its own, on a fresh 48-bit domain per run, strict or lazy
/// (the kernel's queues: 256 slots per worker unless <see cref="ScalingSettings.DmaQueueSlots"/> says otherwise, the
/// real 10 ms timer). One op is one map or one unmap.
/// </summary>
internal sealed class DmaWorkload(DmaUnmapMode mode) : IScalingWorkload
{
    /// <summary>Lazy unmapping (per-worker flush queues).</summary>
    public static DmaWorkload Lazy { get; } = new(DmaUnmapMode.Lazy);

    /// <summary>Strict unmapping.</summary>
    public static DmaWorkload Strict { get; } = new(DmaUnmapMode.Strict);

    /// <inheritdoc />
    public string Workload => "dma-per-thread";

    /// <inheritdoc />
    public string Impl => mode == DmaUnmapMode.Strict ? "dma-strict" : "dma-lazy";

    /// <inheritdoc />
    public IScalingRun Prepare(int threads, ScalingSettings settings) => new Run(mode, settings);

    private sealed class Run(DmaUnmapMode mode, ScalingSettings settings) : IScalingRun
    {
        private readonly DmaDomain _domain = new(new DmaDomainOptions { UnmapMode = mode }, timerPeriod: null, queueSlots: settings.DmaQueueSlots);
        private readonly List<DmaWorker> _workers = [];

        public IScalingWorker CreateWorker(int index)
        {
            DmaDevice device = _domain.AttachDevice(index % (DmaDomain.MaxDeviceId + 1), ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
            DmaWorker worker = _domain.CreateWorker();
            lock (_workers)
                _workers.Add(worker);
            return new PerThreadWorker<DmaWorkerSource>(new DmaWorkerSource(worker, device), index, settings.WorkingSet, settings.WorkingSets);
        }

        public long? TreeLockContentions => _domain.Iova.TreeLockContentions;

        public void Dispose()
        {
            foreach (DmaWorker worker in _workers)
                worker.Dispose();
            _domain.Dispose();
        }
    }
}
