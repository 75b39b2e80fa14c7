namespace FastIova.Cli.Inspection;

/// <summary>
/// The state of one replayed domain at one point of a trace: its ranges, which of them are cached (or, in a DMA domain,
/// queued for an IOTLB flush), its counters.
/// </summary>
internal sealed class SpaceSnapshot
{
    /// <summary>Bytes per pfn.</summary>
    public required ulong Granule { get; init; }

    /// <summary>The lowest pfn allocations may hand out.</summary>
    public required ulong StartPfn { get; init; }

    /// <summary>The first pfn at or above 4 GiB.</summary>
    public required ulong Dma32Pfn { get; init; }

    /// <summary>Simulated CPUs.</summary>
    public required int CpuCount { get; init; }

    /// <summary>Operations replayed so far in the whole trace when the snapshot was taken.</summary>
    public required long TraceOperations { get; init; }

    /// <summary>Every range in the tree, in address order (cached ones included, as the kernel keeps them allocated).</summary>
    public required IovaRange[] Ranges { get; init; }

    /// <summary>The ranges sitting in range caches (magazines or depots), in address order; a subset of <see cref="Ranges"/>.</summary>
    public required IovaRange[] Cached { get; init; }

    /// <summary>
    /// The ranges unmapped but waiting in a DMA domain's flush queues for an IOTLB flush, in address order: still in the
    /// tree, in no range cache; a subset of <see cref="Ranges"/>, disjoint from <see cref="Cached"/>. Empty for an IOVA domain.
    /// </summary>
    public IovaRange[] Queued { get; init; } = [];

    /// <summary>A DMA domain's flush queues and counters; null for a plain IOVA domain.</summary>
    public DmaState? Dma { get; init; }

    /// <summary>The domain's counters.</summary>
    public required IovaStatistics Statistics { get; init; }

    /// <summary>What the trace did with the domain.</summary>
    public required DomainActivity Activity { get; init; }

    /// <summary>
    /// The last pfn of the usable window: the highest <c>limit_pfn</c> any allocation asked for (the device's DMA mask),
    /// or the last 32-bit pfn before any allocation. The window is <c>[StartPfn, WindowEnd]</c>.
    /// </summary>
    public ulong WindowEnd => Activity.AnyAllocation ? Activity.HighestLimit : Dma32Pfn - 1;

    /// <summary>Free space in <c>[StartPfn, min(WindowEnd, Dma32Pfn - 1)]</c>, below the 32-bit boundary.</summary>
    public FreeSpace Below32Bit => FreeSpace.Measure(Ranges, StartPfn, Math.Min(WindowEnd, Dma32Pfn - 1));

    /// <summary>Free space in <c>[max(StartPfn, Dma32Pfn), WindowEnd]</c>, at or above the 32-bit boundary.</summary>
    public FreeSpace Above32Bit => FreeSpace.Measure(Ranges, Math.Max(StartPfn, Dma32Pfn), WindowEnd);

    /// <summary>Free space in the whole window.</summary>
    public FreeSpace Window => FreeSpace.Measure(Ranges, StartPfn, WindowEnd);

    /// <summary>Pfns held by <see cref="Cached"/>.</summary>
    public ulong CachedPfns => Cached.Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>Pfns held by <see cref="Queued"/>.</summary>
    public ulong QueuedPfns => Queued.Aggregate(0UL, (sum, r) => sum + r.Size);
}
