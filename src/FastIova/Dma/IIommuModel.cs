namespace FastIova.Dma;

/// <summary>
/// A simulator's IOMMU: page tables and IOTLBs, which the DMA layer does not model. The layer allocates the addresses
/// and calls these hooks where Linux's <c>dma-iommu.c</c> touches the hardware, so that the simulator can keep its page
/// tables, make a page-table map fail, and model the stale-IOTLB window of lazy unmapping. Every method has a default
/// that does nothing (and a map that succeeds); implement those you need.
/// </summary>
/// <remarks>
/// <para>The order of events, per operation (see <c>docs/ARCHITECTURE.md</c>):</para>
/// <list type="bullet">
/// <item><b>Map</b>: the IOVA is allocated, then <see cref="TryMap"/> is called (once per scatter-list segment, in
/// order). If it returns <see langword="false"/>, the segments already mapped get <see cref="Unmap"/> and the IOVA is
/// freed at once (never through a flush queue), and the map fails.</item>
/// <item><b>Unmap, strict</b>: <see cref="Unmap"/>, then <see cref="SyncIotlb"/> for the range, then the IOVA is freed:
/// it can be handed out again at once.</item>
/// <item><b>Unmap, lazy</b>: <see cref="Unmap"/>; the IOVA is queued. The IOTLB may still translate the range (a stale
/// entry) until the next <see cref="FlushIotlbAll"/>; the IOVA is freed only after such a flush has completed, so no
/// new mapping reuses the address while a stale entry can exist.</item>
/// <item><b>Flush-all</b>: <see cref="FlushIotlbAll"/> is called when an unmap finds its queue full, when the flush
/// timer fires, and on an explicit flush or dispose of the domain; IOVAs queued before it are freed after it returns.</item>
/// </list>
/// <para>
/// Hooks run on the thread of the operation (the timer's thread for a timer flush), while the layer holds the lock of
/// the flush queue concerned for <see cref="FlushIotlbAll"/>; they must not call back into the same domain. With
/// several threads mapping at once, hooks are called concurrently.
/// </para>
/// </remarks>
public interface IIommuModel
{
    /// <summary>Maps <paramref name="size"/> bytes at <paramref name="iova"/> to <paramref name="physical"/> in the page tables (<c>iommu_map</c>).</summary>
    /// <param name="device">The device the mapping is for.</param>
    /// <param name="iova">The granule-aligned IOVA.</param>
    /// <param name="physical">The granule-aligned physical address.</param>
    /// <param name="size">Bytes, a multiple of the granule.</param>
    /// <returns><see langword="false"/> to make the map fail as Linux does when the page tables cannot be allocated.</returns>
    bool TryMap(DmaDevice device, ulong iova, ulong physical, ulong size) => true;

    /// <summary>Clears the page-table entries of <c>[iova, iova + size)</c> (<c>iommu_unmap_fast</c>); the IOTLB is not yet invalidated.</summary>
    /// <param name="iova">The granule-aligned IOVA.</param>
    /// <param name="size">Bytes, a multiple of the granule.</param>
    void Unmap(ulong iova, ulong size)
    {
    }

    /// <summary>Strict mode: invalidates the IOTLB for <c>[iova, iova + size)</c> (<c>iommu_iotlb_sync</c>), before the IOVA is freed.</summary>
    /// <param name="iova">The granule-aligned IOVA.</param>
    /// <param name="size">Bytes, a multiple of the granule.</param>
    void SyncIotlb(ulong iova, ulong size)
    {
    }

    /// <summary>Lazy mode: invalidates the whole IOTLB (<c>flush_iotlb_all</c>), after which queued IOVAs may be freed.</summary>
    void FlushIotlbAll()
    {
    }
}
