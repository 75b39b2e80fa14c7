using FastIova.Caches;

namespace FastIova.Dma;

/// <summary>
/// The DMA API (<c>dma_map_single</c>, <c>dma_alloc_coherent</c>'s IOVA, <c>dma_map_sg</c>, <c>dma_unmap_*</c>) on one
/// set of range caches and, in a lazy domain, one flush queue: a simulated CPU (<see cref="DmaCpu"/>). Addresses and
/// sizes are bytes; results are the DMA addresses Linux would hand the device.
/// </summary>
/// <remarks>
/// Bad arguments throw <see cref="ArgumentException"/>s naming the argument, before anything changes. An exhausted
/// space makes the <c>Try</c> methods return <see langword="false"/> and the others throw
/// <see cref="IovaExhaustedException"/>. Unmapping what is not mapped, or with another size, corrupts the allocator as
/// it does in the kernel, unless the domain is in checked mode (<see cref="DmaDomainOptions.Checked"/>), which throws.
/// </remarks>
public abstract partial class DmaMapper : IIovaSink
{
    /// <param name="domain">The domain.</param>
    /// <param name="queue">The mapper's flush queue in a lazy domain.</param>
    /// <param name="ownedCache">The cache it alone uses (a worker's or a thread's), which opens the hot paths; null for a simulated CPU.</param>
    private protected DmaMapper(DmaDomain domain, FlushQueue? queue, ThreadCache? ownedCache = null)
    {
        Domain = domain;
        Queue = queue;
        _owned = ownedCache;
        (_granuleMask, _shift, _firstAddress, _apertureEnd, _hotPages) = domain.HotGeometry;
        if (ownedCache is null)
            _hotPages = 0;
        _apertureSpan = _apertureEnd - _firstAddress;

        // The one-granule unmap tests only its start: below the start of the aperture's last granule when that one
        // ends past the aperture (or at 2^64, where the span's bound would wrap), else within the aperture; and
        // never without the hot paths.
        ulong lastWhole = (_apertureEnd & _granuleMask) == _granuleMask && _apertureEnd != ulong.MaxValue
            ? _apertureEnd + 1
            : _apertureEnd & ~_granuleMask;
        _hotSpan = _hotPages == 0 || lastWhole <= _firstAddress ? 0 : lastWhole - _firstAddress;
        _queues = domain.Queues;
        _ownedQueue = queue is { IsOwned: true } ? queue : null;
        _iommu = domain.Iommu;
        _hotUnmap = ownedCache is null ? HotUnmap.None
            : _iommu is not null ? HotUnmap.Told
            : _queues is null ? HotUnmap.IntoCache
            : _ownedQueue is not null ? HotUnmap.IntoQueue
            : HotUnmap.None;
    }

    /// <summary>The domain this mapper works in.</summary>
    public DmaDomain Domain { get; }

    /// <summary>The flush queue its unmaps use in a lazy domain; null in a strict one.</summary>
    internal FlushQueue? Queue { get; }

    /// <summary>As <see cref="TryMap"/>, throwing when it fails.</summary>
    /// <exception cref="IovaExhaustedException">No IOVA fits, or the IOMMU model refused the map.</exception>
    /// <inheritdoc cref="TryMap" path="/param"/>
    /// <returns>The DMA address.</returns>
    public ulong Map(DmaDevice device, ulong physical, ulong size) =>
        TryMap(device, physical, size, out ulong address) ? address : throw Domain.Exhausted(size);

    /// <summary>
    /// The IOVA of a coherent buffer (<c>dma_alloc_coherent</c>): <paramref name="size"/> rounded up to granules, below
    /// the device's coherent mask.
    /// </summary>
    /// <param name="device">A device of this domain.</param>
    /// <param name="physical">The buffer's granule-aligned physical address (what the IOMMU model maps; it does not affect the IOVA).</param>
    /// <param name="size">Bytes, at least 1.</param>
    /// <param name="dmaAddress">The buffer's DMA address (granule-aligned).</param>
    /// <returns>False if no IOVA fits below the coherent mask (or the IOMMU model refused the map).</returns>
    public bool TryMapCoherent(DmaDevice device, ulong physical, ulong size, out ulong dmaAddress) =>
        Domain.TryMapCoherent(this, device, physical, size, out dmaAddress);

    /// <summary>As <see cref="TryMapCoherent"/>, throwing when it fails.</summary>
    /// <exception cref="IovaExhaustedException">No IOVA fits, or the IOMMU model refused the map.</exception>
    /// <inheritdoc cref="TryMapCoherent" path="/param"/>
    /// <returns>The DMA address.</returns>
    public ulong MapCoherent(DmaDevice device, ulong physical, ulong size) =>
        TryMapCoherent(device, physical, size, out ulong address) ? address : throw Domain.Exhausted(size);

    /// <summary>
    /// Maps a scatter list as one IOVA range (<c>iommu_dma_map_sg</c>): segments laid out in order, each keeping its
    /// offset within the granule, padded to the device's segment boundary where the kernel pads.
    /// </summary>
    /// <param name="device">A device of this domain.</param>
    /// <param name="segmentBoundaryMask">The device's segment boundary (<c>dma_get_seg_boundary</c>): <c>2^k - 1</c>, at
    /// least the granule minus one; <see cref="ulong.MaxValue"/> (the kernel's default) never pads.</param>
    /// <param name="segments">The segments, at least one.</param>
    /// <param name="dmaAddresses">Receives each segment's DMA address; at least as long as <paramref name="segments"/>.</param>
    /// <returns>False if no IOVA fits below the device's mask (or the IOMMU model refused a segment's map).</returns>
    public bool TryMapScatterList(DmaDevice device, ulong segmentBoundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses) =>
        Domain.TryMapScatterList(this, device, segmentBoundaryMask, segments, dmaAddresses);

    /// <summary>As <see cref="TryMapScatterList"/>, throwing when it fails.</summary>
    /// <exception cref="IovaExhaustedException">No IOVA fits, or the IOMMU model refused the map.</exception>
    /// <inheritdoc cref="TryMapScatterList" path="/param"/>
    public void MapScatterList(DmaDevice device, ulong segmentBoundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses)
    {
        if (!TryMapScatterList(device, segmentBoundaryMask, segments, dmaAddresses))
            throw Domain.Exhausted(segments.Length > 0 ? segments[0].Length : 0);
    }

    /// <summary>Unmaps a mapped scatter list (<c>iommu_dma_unmap_sg</c>): from the first segment's address to the end of the last.</summary>
    /// <param name="dmaAddresses">The addresses <see cref="TryMapScatterList"/> returned.</param>
    /// <param name="segments">The segments as mapped.</param>
    public void UnmapScatterList(ReadOnlySpan<ulong> dmaAddresses, ReadOnlySpan<ScatterSegment> segments)
    {
        if (segments.IsEmpty)
            throw new ArgumentException("A scatter list has at least one segment.", nameof(segments));
        if (dmaAddresses.Length < segments.Length)
            throw new ArgumentException($"{dmaAddresses.Length} addresses for {segments.Length} segments.", nameof(dmaAddresses));
        ulong first = dmaAddresses[0];
        ulong end = dmaAddresses[segments.Length - 1] + segments[^1].Length;
        if (end <= first)
            throw new ArgumentException("The last segment does not end above the first one's address.", nameof(dmaAddresses));
        Unmap(first, end - first);
    }

    /// <summary><c>alloc_iova_fast</c> on this mapper's caches; a limit below the domain's start simply fails.</summary>
    internal abstract bool TryAllocateFast(ulong pages, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn);

    /// <summary><c>free_iova_fast</c> on this mapper's caches.</summary>
    internal abstract void FreeFast(ulong pfn, ulong pages);

    void IIovaSink.FreeIova(ulong pfn, ulong pages) => FreeFast(pfn, pages);
}
