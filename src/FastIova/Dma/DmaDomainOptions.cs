namespace FastIova.Dma;

/// <summary>Settings of a <see cref="DmaDomain"/>: its IOMMU's geometry, the unmap mode, CPUs and hooks.</summary>
public sealed class DmaDomainOptions
{
    /// <summary>The IOMMU's smallest page size in bytes: a power of two from 512 to 2^32. Defaults to 4096.</summary>
    public ulong Granule { get; init; } = 4096;

    /// <summary>The lowest DMA address (bytes). The IOVA domain starts at its pfn, and never at pfn 0. Defaults to 0.</summary>
    public ulong ApertureStart { get; init; }

    /// <summary>The highest DMA address (bytes, inclusive): every device mask is capped at it. Defaults to 2^48 - 1.</summary>
    public ulong ApertureEnd { get; init; } = (1UL << 48) - 1;

    /// <summary>How unmapped IOVAs are given back. Defaults to <see cref="DmaUnmapMode.Lazy"/>, Linux's default.</summary>
    public DmaUnmapMode UnmapMode { get; init; } = DmaUnmapMode.Lazy;

    /// <summary>
    /// Simulated CPUs (<see cref="DmaDomain.Cpu"/>): each has its range caches and, in <see cref="DmaUnmapMode.Lazy"/>,
    /// its flush queue. Defaults to <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int CpuCount { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Whether the flush-queue timer is an event the caller fires (<see cref="DmaDomain.FireFlushTimer"/>), for
    /// deterministic simulations, instead of a real timer at the kernel's period (10 ms; 1000 ms for the single queue).
    /// </summary>
    public bool SimulatedTimer { get; init; }

    /// <summary>The simulator's IOMMU model, told of every page-table map and unmap and every IOTLB flush; null for none.</summary>
    public IIommuModel? Iommu { get; init; }

    /// <summary>
    /// Checked mode: an unmap must name a live mapping exactly as it was mapped (address and size), or it throws
    /// <see cref="InvalidOperationException"/> with the details, changing nothing; the IOVA domain is checked too
    /// (<see cref="IovaDomainOptions.Checked"/>). Costs a table lookup per map and unmap.
    /// </summary>
    public bool Checked { get; init; }

    /// <summary>
    /// Records every operation of the domain, and of its <see cref="DmaDomain.Iova"/>, in the trace format (see
    /// <see cref="Trace.TraceRecorder"/>), so that <c>fastiova replay</c> reproduces the run. Recording serializes the
    /// domain and needs what the format can say: at most 64 CPUs, a granule of at most 4096, <see cref="SimulatedTimer"/>,
    /// and <see cref="DepotTrimInterval"/> = <see cref="Timeout.InfiniteTimeSpan"/>. <see langword="null"/> (the default)
    /// costs one null check per call.
    /// </summary>
    public Trace.TraceRecorder? Recorder { get; init; }

    /// <summary>The IOVA domain's depot trim period (<see cref="IovaDomainOptions.DepotTrimInterval"/>).</summary>
    public TimeSpan DepotTrimInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Whether workers' and threads' caches keep a private spare magazine (<see cref="IovaDomainOptions.SpareMagazines"/>).
    /// Defaults to <see langword="true"/>; simulated CPUs always follow the kernel.
    /// </summary>
    public bool SpareMagazines { get; init; } = true;

    internal void Validate()
    {
        if (Granule < 512 || Granule > 1UL << 32 || !System.Numerics.BitOperations.IsPow2(Granule))
            throw new ArgumentOutOfRangeException("options", Granule, "Granule must be a power of two from 512 to 2^32 bytes.");
        if (ApertureStart > ApertureEnd)
            throw new ArgumentOutOfRangeException("options", ApertureStart, $"ApertureStart must not be above ApertureEnd (0x{ApertureEnd:x}).");
        if (UnmapMode is < DmaUnmapMode.Strict or > DmaUnmapMode.LazySingleQueue)
            throw new ArgumentOutOfRangeException("options", UnmapMode, "Unknown unmap mode.");
        if (CpuCount is < 1 or > 4096)
            throw new ArgumentOutOfRangeException("options", CpuCount, "CpuCount must be between 1 and 4096.");
        if (Recorder is not null)
            Trace.TraceRecorder.RequireRecordable(this);
    }
}
