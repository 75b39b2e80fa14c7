using System.Numerics;
using FastIova.Trace;

namespace FastIova.Dma;

/// <summary>
/// A DMA domain: Linux's <c>drivers/iommu/dma-iommu.c</c> over an <see cref="IovaDomain"/>. It turns a device's DMA
/// requests (a physical buffer and a size in bytes, a coherent buffer, a scatter list) into the DMA addresses Linux would
/// hand that device, with the kernel's rules: masks capped at the aperture, the PCI 32-bit workaround, granule
/// arithmetic, scatter-list padding, and lazy unmapping through flush queues.
/// </summary>
/// <remarks>
/// Work happens on a <see cref="DmaMapper"/>: a simulated CPU (<see cref="Cpu"/>), whose caches and flush queue the
/// caller drives explicitly; a <see cref="DmaWorker"/> (<see cref="CreateWorker"/>), with a cache and queue of its own;
/// or the calling thread, through this class's own map methods (its thread cache and a queue of its own). Every member is safe to call from any thread. Page tables and IOTLBs belong to the caller's
/// IOMMU model (<see cref="DmaDomainOptions.Iommu"/>), which is told of every map, unmap and flush. The IOVA domain
/// underneath stays reachable (<see cref="Iova"/>) for direct IOVA operations.
/// </remarks>
public sealed partial class DmaDomain : IDisposable, IIovaSink
{
    /// <summary>The highest device id.</summary>
    public const int MaxDeviceId = 4095;

    private readonly DmaDomainOptions _options;
    private readonly int _shift;

    // The options the hot paths read, copied out of the options object.
    private readonly ulong _granuleMask;
    private readonly ulong _apertureEnd;
    private readonly ulong _firstAddress;

    // No recorder and no checked-mode ledger: the maps and unmaps of a worker or a thread may take their hot paths
    // (DmaMapper.HotPath.cs), which tell an IOMMU model themselves.
    private readonly bool _hotPathsOpen;
    private readonly DmaDevice?[] _devices = new DmaDevice?[MaxDeviceId + 1];
    private readonly DmaCpu[] _cpus;
    private readonly FlushQueues? _queues;
    private readonly DmaMappingLedger? _ledger;
    private readonly IIommuModel? _iommu;
    private readonly TraceRecorder? _recorder;
    private int _mapping;
    private long _workaroundFlips;
    private int _disposed;

    /// <summary>Creates a domain (<c>iommu_dma_init_domain</c>, and <c>iommu_dma_init_fq</c> in a lazy mode).</summary>
    /// <param name="options">The geometry, mode, CPUs and hooks; null for the defaults (4 KiB granule, 48-bit aperture, lazy).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public DmaDomain(DmaDomainOptions? options = null)
        : this(options, timerPeriod: null, queueSlots: null)
    {
    }

    /// <summary>
    /// For tests: a real flush timer of another period (infinite: never scheduled, fired by hand through
    /// <see cref="FireFlushTimer"/>), and flush queues of another size (a power of two).
    /// </summary>
    internal DmaDomain(DmaDomainOptions? options, TimeSpan? timerPeriod, int? queueSlots)
    {
        _options = options ?? new DmaDomainOptions();
        _options.Validate();
        _shift = BitOperations.Log2(_options.Granule);
        _granuleMask = _options.Granule - 1;
        _apertureEnd = _options.ApertureEnd;
        _recorder = _options.Recorder;
        _iommu = _recorder is null || _options.Iommu is null ? _options.Iommu : new RefusalWatch(_options.Iommu);
        _ledger = _options.Checked ? new DmaMappingLedger() : null;

        // The IOVA domain never hands out pfn 0, so DMA address 0 never reaches a device.
        Iova = CreateIova(Math.Max(1, _options.ApertureStart >> _shift), new IovaDomainOptions
        {
            CpuCount = _options.CpuCount,
            Checked = _options.Checked,
            DepotTrimInterval = _options.DepotTrimInterval,
            SpareMagazines = _options.SpareMagazines,
            Recorder = _recorder,
        });
        if (_options.UnmapMode != DmaUnmapMode.Strict)
        {
            _timerCache = new DmaTimerCache(Iova);
            _queues = new FlushQueues(
                _options.UnmapMode == DmaUnmapMode.LazySingleQueue,
                _options.CpuCount,
                _iommu,
                _timerCache,
                realTimer: !_options.SimulatedTimer,
                timerPeriod,
                queueSlots);
        }

        _firstAddress = Math.Max(_options.ApertureStart, Iova.StartPfn << _shift);
        _hotPathsOpen = _recorder is null && _ledger is null;
        _cpus = new DmaCpu[_options.CpuCount];
        for (int i = 0; i < _cpus.Length; i++)
            _cpus[i] = new DmaCpu(this, Iova.Cpu(i), _queues?.ForCpu(i));
        DmaMetrics.Register(this);
    }

    /// <summary>The IOVA domain underneath: its granule, caches and tree (pfns, not bytes).</summary>
    public IovaDomain Iova { get; }

    /// <summary>Bytes per IOVA page.</summary>
    public ulong Granule => _options.Granule;

    /// <summary>The lowest DMA address.</summary>
    public ulong ApertureStart => _options.ApertureStart;

    /// <summary>The highest DMA address (inclusive); every mask is capped at it.</summary>
    public ulong ApertureEnd => _options.ApertureEnd;

    /// <summary>How unmapped IOVAs are given back.</summary>
    public DmaUnmapMode UnmapMode => _options.UnmapMode;

    /// <summary>The number of simulated CPUs.</summary>
    public int CpuCount => _cpus.Length;

    /// <summary>
    /// Whether the flush-queue timer is armed: an unmap has queued an IOVA since it last fired, or (real timer) its last
    /// run left a busy thread's or worker's queue to its owner and must look again. Never in strict mode.
    /// </summary>
    public bool FlushTimerArmed => _queues?.TimerArmed ?? false;

    /// <summary>Unmapped IOVAs waiting in flush queues (still allocated, awaiting an IOTLB flush).</summary>
    /// <remarks>While recording, each read is recorded as an <c>fq_pending</c> line.</remarks>
    public int PendingUnmaps => _recorder is null ? QueuedUnmaps : RecordPendingUnmaps();

    /// <summary>IOTLB flush-alls the flush queues have done (on a full queue, a timer, an explicit flush).</summary>
    /// <remarks>While recording, each read is recorded as an <c>iotlb_flushes</c> line.</remarks>
    public long IotlbFlushes => _recorder is null ? FlushCount : RecordIotlbFlushes();

    /// <summary>Devices whose 32-bit workaround has been cleared by a failed attempt below 4 GiB.</summary>
    public long WorkaroundFlips => Interlocked.Read(ref _workaroundFlips);

    /// <summary>Live mappings, counted in checked mode only; -1 otherwise.</summary>
    public int CheckedMappings => _ledger?.Count ?? -1;

    /// <summary>
    /// Reserves the byte window <c>[start, start + length)</c> so that no DMA address falls in it (an MSI window, a PCI
    /// bridge window, firmware memory), as <c>iova_reserve_iommu_regions</c> does while the domain is set up.
    /// </summary>
    /// <param name="start">The window's first byte.</param>
    /// <param name="length">Its length in bytes, at least 1.</param>
    /// <returns>The IOVA range that holds the window (pfns; merged with what it overlaps, as <see cref="IovaDomain.Reserve"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is empty or ends beyond 2^64.</exception>
    /// <exception cref="InvalidOperationException">A map has already happened: the kernel reserves only at set-up, and a
    /// window merged into a live mapping would be freed with it.</exception>
    public IovaRange Reserve(ulong start, ulong length)
    {
        if (length == 0 || length - 1 > ulong.MaxValue - start)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"The window at 0x{start:x} must hold at least 1 byte and end within 2^64.");
        ThrowIfDisposed();
        if (Volatile.Read(ref _mapping) != 0)
            throw new InvalidOperationException("Reserved regions are set up before the first map.");
        return _recorder is null ? Iova.Reserve(start >> _shift, (start + length - 1) >> _shift) : RecordReserve(start, length);
    }

    /// <summary>
    /// Attaches device <paramref name="id"/> with its masks, or declares it again (new masks, the workaround flag set
    /// anew; its live mappings stay).
    /// </summary>
    /// <param name="id">0 to <see cref="MaxDeviceId"/>.</param>
    /// <param name="dmaMask">The streaming mask, e.g. <c>0xffffffff</c> or <see cref="ulong.MaxValue"/>.</param>
    /// <param name="coherentMask">The coherent mask.</param>
    /// <param name="pci32BitWorkaround">A PCI device with Linux's <c>pci_32bit_workaround</c> (the default unless
    /// <c>iommu.forcedac=1</c>): maps try below 4 GiB first.</param>
    /// <returns>The device handle (the same object for the same id).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The id is out of range, or a mask capped at the aperture leaves
    /// fewer than 32 granules (below that, a cached IOVA above the mask could be handed out, as in the kernel).</exception>
    public DmaDevice AttachDevice(int id, ulong dmaMask, ulong coherentMask, bool pci32BitWorkaround)
    {
        if ((uint)id > MaxDeviceId)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Device id must be between 0 and {MaxDeviceId}.");
        RequireMask(dmaMask, nameof(dmaMask));
        RequireMask(coherentMask, nameof(coherentMask));
        ThrowIfDisposed();
        return _recorder is null ? Declare(id, dmaMask, coherentMask, pci32BitWorkaround) : RecordDevice(id, dmaMask, coherentMask, pci32BitWorkaround);
    }

    /// <summary>The device attached with <paramref name="id"/>.</summary>
    /// <param name="id">A device id.</param>
    /// <exception cref="ArgumentException">No device has that id.</exception>
    public DmaDevice Device(int id) =>
        (uint)id <= MaxDeviceId && Volatile.Read(ref _devices[id]) is { } device
            ? device
            : throw new ArgumentException($"No device {id} is attached.", nameof(id));

    /// <summary>Simulated CPU <paramref name="index"/>: its range caches and flush queue, for deterministic runs.</summary>
    /// <param name="index">0 to <see cref="CpuCount"/> - 1.</param>
    /// <returns>The CPU (the same object on every call).</returns>
    public DmaCpu Cpu(int index)
    {
        if ((uint)index >= (uint)_cpus.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"CPU index must be between 0 and {_cpus.Length - 1}.");
        ThrowIfDisposed();
        return _cpus[index];
    }

    /// <summary>
    /// The flush-queue timer fires (<c>fq_flush_timeout</c>): if it is armed, it is disarmed, the IOTLB is flushed, and
    /// every queue frees what was queued before, into the range caches of the CPU whose unmap armed the timer. With
    /// <see cref="DmaDomainOptions.SimulatedTimer"/> this is the only way the timer fires. (Without it, the real
    /// timer's run leaves a busy thread's or worker's queue to its owner's next unmap and arms itself again.)
    /// </summary>
    /// <returns>False if the timer was not armed (nothing happens; always so in strict mode).</returns>
    public bool FireFlushTimer()
    {
        ThrowIfDisposed();
        return _recorder is null ? _queues?.Timeout() ?? false : RecordFlushTimer();
    }

    /// <summary>
    /// Flushes the IOTLB once and frees every unmapped IOVA queued before it, to the tree (no range cache). Afterwards
    /// the tree holds only live mappings and cached ranges (<see cref="IovaDomain.FlushCaches"/> returns the latter).
    /// </summary>
    /// <exception cref="InvalidOperationException">The domain is recording: the trace format has no explicit flush
    /// (<see cref="FireFlushTimer"/> is the recordable one).</exception>
    public void FlushUnmapQueues()
    {
        ThrowIfDisposed();
        if (_recorder is not null)
            throw new InvalidOperationException("A recording domain cannot flush its queues explicitly: the trace format has no such op. Fire the flush timer (FireFlushTimer) instead.");
        _queues?.FlushAndReap(this);
    }

    /// <summary>Frees everything queued (after a flush-all) and disposes the IOVA domain; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        DmaMetrics.Unregister(this);
        RefreshHotPaths();
        if (_queues is not null)
            CloseQueuesUnrecorded();
        DisposeThreadState();
        Iova.Dispose();
    }

    void IIovaSink.FreeIova(ulong pfn, ulong pages) => Iova.Free(pfn);

    /// <summary>Unmapped IOVAs waiting in flush queues, read without recording (the meter's view).</summary>
    internal int QueuedUnmaps => _queues?.Pending ?? 0;

    /// <summary>IOTLB flush-alls of the flush queues, read without recording (the meter's view).</summary>
    internal long FlushCount => _queues?.Flushes ?? 0;

    /// <summary>The IOMMU model told of each map, unmap and flush, or null.</summary>
    internal IIommuModel? Iommu => _iommu;

    /// <summary>The flush queues of a lazy domain (made before any mapper), or null in a strict one.</summary>
    internal FlushQueues? Queues => _queues;

    /// <summary>Whether <see cref="Dispose"/> has begun.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal IovaExhaustedException Exhausted(ulong size) => new(size, ApertureEnd >> _shift);

    private void RequireMask(ulong mask, string name)
    {
        ulong limit = Math.Min(mask, ApertureEnd);
        if (limit < (32UL << _shift) - 1)
            throw new ArgumentOutOfRangeException(name, mask, $"The mask capped at the aperture (0x{limit:x}) must leave at least 32 granules (0x{(32UL << _shift) - 1:x}).");
    }

    private DmaDevice Declare(int id, ulong dmaMask, ulong coherentMask, bool pci32BitWorkaround)
    {
        lock (_devices)
        {
            DmaDevice device = _devices[id] ??= new DmaDevice(this, id);
            device.Declare(dmaMask, coherentMask, pci32BitWorkaround);
            RefreshHotPath(device);
            return device;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
