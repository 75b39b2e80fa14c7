namespace FastIova.Trace;

/// <summary>The operations of the trace format (see <c>TRACE-FORMAT.md</c>), one per kernel entry point.</summary>
public enum TraceOpCode
{
    /// <summary><c>domain granule start_pfn [ncpus]</c>: starts a fresh domain (<c>init_iova_domain</c>).</summary>
    Domain,

    /// <summary><c>alloc size limit_pfn aligned</c>: <c>alloc_iova</c>.</summary>
    Alloc,

    /// <summary><c>free pfn</c>: <c>free_iova</c> of the range containing the pfn.</summary>
    Free,

    /// <summary><c>find pfn</c>: <c>find_iova</c>.</summary>
    Find,

    /// <summary><c>reserve pfn_lo pfn_hi</c>: <c>reserve_iova</c>.</summary>
    Reserve,

    /// <summary><c>cpu n</c>: selects the simulated CPU used by the fast ops.</summary>
    Cpu,

    /// <summary><c>alloc_fast size limit_pfn flush</c>: <c>alloc_iova_fast</c> on the current CPU.</summary>
    AllocFast,

    /// <summary><c>free_fast pfn size</c>: <c>free_iova_fast</c> on the current CPU.</summary>
    FreeFast,

    /// <summary><c>flush_cpu n</c>: <c>free_cpu_cached_iovas(n)</c>.</summary>
    FlushCpu,

    /// <summary><c>flush_global</c>: <c>free_global_cached_iovas</c>.</summary>
    FlushGlobal,

    /// <summary><c>depot_trim</c>: one run of the depot trim work.</summary>
    DepotTrim,

    /// <summary><c>count</c>: the number of ranges in the tree, anchor excluded.</summary>
    Count,

    /// <summary><c>dma_domain granule aperture_start aperture_end ncpus mode</c>: starts a fresh DMA domain (<c>iommu_dma_init_domain</c>).</summary>
    DmaDomain,

    /// <summary><c>dma_reserve start length</c>: one reserved region of <c>iova_reserve_iommu_regions</c>.</summary>
    DmaReserve,

    /// <summary><c>device id dma_mask coherent_mask workaround</c>: declares a device of the DMA domain.</summary>
    Device,

    /// <summary><c>map dev phys size</c>: <c>__iommu_dma_map</c> with the device's streaming mask.</summary>
    Map,

    /// <summary><c>map_coherent dev size</c>: the IOVA of a coherent allocation, with the coherent mask.</summary>
    MapCoherent,

    /// <summary><c>map_nomem dev phys size</c>: a map whose page-table update fails after the IOVA was allocated.</summary>
    MapNoMem,

    /// <summary><c>map_sg dev boundary_mask n off_1 len_1 ... off_n len_n</c>: the IOVA layout and allocation of <c>iommu_dma_map_sg</c>.</summary>
    MapScatterList,

    /// <summary><c>unmap addr size</c>: <c>__iommu_dma_unmap</c>.</summary>
    Unmap,

    /// <summary><c>fq_timeout</c>: the flush-queue timer fires (<c>fq_flush_timeout</c>).</summary>
    FlushQueueTimeout,

    /// <summary><c>fq_pending</c>: entries waiting in all flush queues.</summary>
    FlushQueuePending,

    /// <summary><c>iotlb_flushes</c>: IOTLB flush-alls the flush queues have done.</summary>
    IotlbFlushes,
}
