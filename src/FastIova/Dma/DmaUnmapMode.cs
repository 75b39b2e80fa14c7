namespace FastIova.Dma;

/// <summary>How a <see cref="DmaDomain"/> gives back the IOVA of an unmapped buffer (Linux's <c>iommu.strict</c>).</summary>
public enum DmaUnmapMode
{
    /// <summary>
    /// <c>IOMMU_DOMAIN_DMA</c> (<c>iommu.strict=1</c>): an unmap invalidates the IOTLB for the range and frees the IOVA at
    /// once, into the unmapping CPU's range cache.
    /// </summary>
    Strict,

    /// <summary>
    /// <c>IOMMU_DOMAIN_DMA_FQ</c>, Linux's default (<c>iommu.strict=0</c>): an unmapped IOVA waits in the unmapping CPU's
    /// flush queue (256 slots) until an IOTLB flush-all has completed after it was queued, and is freed by a later unmap
    /// on that queue or by the 10 ms timer.
    /// </summary>
    Lazy,

    /// <summary>
    /// <c>IOMMU_DOMAIN_DMA_FQ</c> with one queue shared by all CPUs (32,768 slots, 1000 ms timer), as Linux uses for
    /// IOMMUs that shadow their page tables (<c>shadow_on_flush</c>, e.g. virtio-iommu or VT-d in caching mode).
    /// </summary>
    LazySingleQueue,
}
