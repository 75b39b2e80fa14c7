using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastIova.Dma;

// The map and unmap rules of dma-iommu.c, shared by every DmaMapper.
public sealed partial class DmaDomain
{
    /// <summary><c>__iommu_dma_map</c> with the device's streaming mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryMap(DmaMapper via, DmaDevice device, ulong physical, ulong size, out ulong dmaAddress) =>
        _recorder is null ? TryMapCore(via, device, physical, size, out dmaAddress) : RecordMap(via, device, physical, size, out dmaAddress);

    /// <summary>The IOVA of a coherent allocation: <c>__iommu_dma_map</c> of whole granules with the coherent mask.</summary>
    internal bool TryMapCoherent(DmaMapper via, DmaDevice device, ulong physical, ulong size, out ulong dmaAddress) =>
        _recorder is null ? TryMapCoherentCore(via, device, physical, size, out dmaAddress) : RecordMapCoherent(via, device, physical, size, out dmaAddress);

    /// <summary><c>iommu_dma_map_sg</c>: one IOVA range for the whole list, laid out by <see cref="ScatterListLayout"/>.</summary>
    internal bool TryMapScatterList(DmaMapper via, DmaDevice device, ulong boundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses) =>
        _recorder is null
            ? TryMapScatterListCore(via, device, boundaryMask, segments, dmaAddresses)
            : RecordMapScatterList(via, device, boundaryMask, segments, dmaAddresses);

    /// <summary><c>__iommu_dma_unmap</c>: the page tables first, then the IOVA freed (strict) or queued (lazy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Unmap(DmaMapper via, ulong dmaAddress, ulong size)
    {
        if (_recorder is null)
            UnmapCore(via, dmaAddress, size);
        else
            RecordUnmap(via, dmaAddress, size);
    }

    private bool TryMapCore(DmaMapper via, DmaDevice device, ulong physical, ulong size, out ulong dmaAddress)
    {
        RequireOwnDevice(device);
        if (!TryMeasureBuffer(physical, size, out ulong offset, out ulong bytes))
            ThrowBufferSize(size, physical);
        ThrowIfDisposed();

        dmaAddress = 0;
        if (!TryAllocateIova(via, device, bytes, device.DmaMask, out ulong iova) || !TryMapPages(via, device, iova, physical - offset, bytes))
            return false;
        dmaAddress = iova + offset;
        _ledger?.Add(iova >> _shift, dmaAddress, size, device);
        return true;
    }

    private bool TryMapCoherentCore(DmaMapper via, DmaDevice device, ulong physical, ulong size, out ulong dmaAddress)
    {
        RequireOwnDevice(device);
        if ((physical & (Granule - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(physical), physical, $"A coherent buffer starts on a granule (0x{Granule:x}).");
        if (size == 0 || !ScatterListLayout.TryRoundUp(size, 0, Granule, out ulong bytes) || bytes - 1 > ulong.MaxValue - physical)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"Size must be at least 1 and the buffer at 0x{physical:x} must end within 2^64.");
        ThrowIfDisposed();

        dmaAddress = 0;
        if (!TryAllocateIova(via, device, bytes, device.CoherentMask, out ulong iova) || !TryMapPages(via, device, iova, physical, bytes))
            return false;
        dmaAddress = iova;
        _ledger?.Add(iova >> _shift, iova, size, device);
        return true;
    }

    private bool TryMapScatterListCore(DmaMapper via, DmaDevice device, ulong boundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses)
    {
        RequireOwnDevice(device);
        if (boundaryMask != ulong.MaxValue && (!ulong.IsPow2(boundaryMask + 1) || boundaryMask < Granule - 1))
            throw new ArgumentOutOfRangeException(nameof(boundaryMask), boundaryMask, $"The segment boundary must be 2^k - 1 with 2^k at least the granule (0x{Granule:x}).");
        if (segments.IsEmpty)
            throw new ArgumentException("A scatter list has at least one segment.", nameof(segments));
        if (dmaAddresses.Length < segments.Length)
            throw new ArgumentException($"Room for {dmaAddresses.Length} addresses, but {segments.Length} segments.", nameof(dmaAddresses));
        foreach (ScatterSegment segment in segments)
        {
            if (segment.Length == 0 || segment.Length - 1 > ulong.MaxValue - segment.Physical)
                throw new ArgumentException($"Segment at 0x{segment.Physical:x} of {segment.Length} bytes is empty or ends beyond 2^64.", nameof(segments));
        }

        // The caller's span holds each segment's offset in the layout until the IOVA is known: no allocation.
        ulong total = ScatterListLayout.Lay(segments, boundaryMask, Granule, dmaAddresses);
        ThrowIfDisposed();
        if (!TryAllocateIova(via, device, total, device.DmaMask, out ulong iova))
            return false;
        if (_iommu is not null && !TryMapSegments(via, device, iova, total, segments, dmaAddresses))
            return false;

        for (int i = 0; i < segments.Length; i++)
            dmaAddresses[i] += iova;
        ulong first = dmaAddresses[0];
        _ledger?.Add(iova >> _shift, first, dmaAddresses[segments.Length - 1] + segments[^1].Length - first, device);
        return true;
    }

    private void UnmapCore(DmaMapper via, ulong dmaAddress, ulong size)
    {
        if (!IsInAperture(dmaAddress))
            ThrowOutsideAperture(dmaAddress);
        if (!TryMeasureUnmap(dmaAddress, size, out ulong offset, out ulong bytes))
            ThrowUnmapSize(size);
        ThrowIfDisposed();

        ulong pfn = (dmaAddress - offset) >> _shift;
        _ledger?.Remove(pfn, dmaAddress, size);
        UnmapIova(via, pfn, bytes >> _shift);
    }

    /// <summary>
    /// <c>__iommu_dma_unmap</c> after its checks: the model told of the page-table unmap, then strict mode's IOTLB sync
    /// and free, or lazy mode's <c>queue_iova</c> (the owner's lock-free append when nothing needs reaping).
    /// </summary>
    internal void UnmapIova(DmaMapper via, ulong pfn, ulong pages)
    {
        ulong iova = pfn << _shift, bytes = pages << _shift;
        _iommu?.Unmap(iova, bytes);
        if (_queues is null)
        {
            _iommu?.SyncIotlb(iova, bytes);
            via.FreeFast(pfn, pages);
        }
        else if (!via.TryAppendOwned(pfn, pages))
        {
            _queues.Enqueue(via.Queue!, via, pfn, pages);
        }
    }

    /// <summary>
    /// <c>iommu_dma_alloc_iova</c>. The mask is capped at the aperture. A PCI device with the 32-bit workaround first
    /// tries below 4 GiB without flushing the caches; the first failure clears its flag for good, even for a request
    /// that could never fit. Then the full limit, flushing every cache and retrying on failure.
    /// </summary>
    private bool TryAllocateIova(DmaMapper via, DmaDevice device, ulong bytes, ulong mask, out ulong iova)
    {
        // Read first: after the first map the flag's line stays shared between the threads that map.
        if (Volatile.Read(ref _mapping) == 0)
            StartMapping();
        ulong pages = bytes >> _shift;
        ulong dmaLimit = Math.Min(mask, _apertureEnd);
        ulong pfn;
        if (TriesBelow4GiB(device, dmaLimit))
        {
            if (via.TryAllocateFast(pages, uint.MaxValue >> _shift, flushCachesOnFailure: false, out pfn))
            {
                iova = pfn << _shift;
                return true;
            }

            if (device.ClearWorkaround())
            {
                Interlocked.Increment(ref _workaroundFlips);
                RefreshHotPath(device);
            }
        }

        bool allocated = via.TryAllocateFast(pages, dmaLimit >> _shift, flushCachesOnFailure: true, out pfn);
        iova = pfn << _shift;
        return allocated;
    }

    // The workaround's test: a limit above 4 GiB, and the device's flag still set.
    private static bool TriesBelow4GiB(DmaDevice device, ulong dmaLimit) => dmaLimit > uint.MaxValue && device.Uses32BitWorkaround;

    /// <summary>The first map: reserving is over, and the workers' hot map opens for every attached device.</summary>
    private void StartMapping()
    {
        lock (_devices)
        {
            Volatile.Write(ref _mapping, 1);
            RefreshHotPaths();
        }
    }

    /// <summary>Opens or closes every attached device's hot map (<see cref="RefreshHotPath"/>): at the first map, and at Dispose.</summary>
    private void RefreshHotPaths()
    {
        lock (_devices)
        {
            foreach (DmaDevice? device in _devices)
            {
                if (device is not null)
                    RefreshHotPath(device);
            }
        }
    }

    /// <summary>
    /// Opens <see cref="DmaMapper.TryMap"/>'s hot path for <paramref name="device"/> with the limit its maps try first
    /// (<see cref="TryAllocateIova"/>'s), or closes it: before the first map, in a domain that records or keeps a
    /// ledger, once disposed, or where the cache could not serve every cached size below that limit.
    /// </summary>
    private void RefreshHotPath(DmaDevice device)
    {
        lock (_devices)
        {
            ulong dmaLimit = Math.Min(device.DmaMask, _apertureEnd);
            ulong limitPfn = (TriesBelow4GiB(device, dmaLimit) ? uint.MaxValue : dmaLimit) >> _shift;
            bool open = _hotPathsOpen && Volatile.Read(ref _mapping) != 0 && Volatile.Read(ref _disposed) == 0 && Iova.IsHotLimit(limitPfn);
            device.SetHotPath(open ? this : null, limitPfn);
        }
    }

    // iommu_map failing after the IOVA was allocated: the IOVA goes back at once, never through a flush queue.
    private bool TryMapPages(DmaMapper via, DmaDevice device, ulong iova, ulong physical, ulong bytes)
    {
        if (_iommu is null || _iommu.TryMap(device, iova, physical, bytes))
            return true;
        via.FreeFast(iova >> _shift, bytes >> _shift);
        return false;
    }

    // iommu_map_sg: each segment's granules at its place in the layout. A refusal undoes the segments mapped before it
    // (as iommu_map_sg unmaps what it mapped) and frees the IOVA at once.
    private bool TryMapSegments(DmaMapper via, DmaDevice device, ulong iova, ulong total, ReadOnlySpan<ScatterSegment> segments, ReadOnlySpan<ulong> offsets)
    {
        for (int i = 0; i < segments.Length; i++)
        {
            ulong offset = segments[i].Physical & (Granule - 1);
            ScatterListLayout.TryRoundUp(segments[i].Length, offset, Granule, out ulong bytes);
            if (_iommu!.TryMap(device, iova + offsets[i] - offset, segments[i].Physical - offset, bytes))
                continue;
            for (int j = 0; j < i; j++)
            {
                ulong mappedOffset = segments[j].Physical & (Granule - 1);
                ScatterListLayout.TryRoundUp(segments[j].Length, mappedOffset, Granule, out ulong mapped);
                _iommu.Unmap(iova + offsets[j] - mappedOffset, mapped);
            }

            via.FreeFast(iova >> _shift, total >> _shift);
            return false;
        }

        return true;
    }

    /// <summary>
    /// What <see cref="DmaMapper.Unmap"/>'s hot path reads, copied into each mapper: the geometry, and the pages of the
    /// largest unmap it takes (0 closes it: the domain records or keeps a ledger, or the cache cannot take every pfn of
    /// the aperture).
    /// </summary>
    internal (ulong GranuleMask, int Shift, ulong FirstAddress, ulong ApertureEnd, ulong HotPages) HotGeometry =>
        (_granuleMask, _shift, _firstAddress, _apertureEnd, _hotPathsOpen && Iova.IsHotLimit(_apertureEnd >> _shift) ? Iova.HotSizeBound : 0);

    /// <summary>A buffer's offset in its granule and the whole granules it touches; false for a size of 0 or a buffer past 2^64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryMeasureBuffer(ulong physical, ulong size, out ulong offset, out ulong bytes)
    {
        offset = physical & _granuleMask;
        return ScatterListLayout.TryRoundUp(size, offset, _granuleMask + 1, out bytes) && size - 1 <= ulong.MaxValue - physical;
    }

    /// <summary>
    /// Whether an unmap's address lies in the aperture at or above its first usable granule (<c>_firstAddress</c>: the
    /// aperture's start, or the IOVA domain's first pfn if that is higher).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsInAperture(ulong dmaAddress) => dmaAddress - _firstAddress <= _apertureEnd - _firstAddress;

    /// <summary>An unmap's offset in its granule and the whole granules it covers; false for a size of 0 or one past the aperture.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryMeasureUnmap(ulong dmaAddress, ulong size, out ulong offset, out ulong bytes)
    {
        offset = dmaAddress & _granuleMask;
        return ScatterListLayout.TryRoundUp(size, offset, _granuleMask + 1, out bytes) && size - 1 <= _apertureEnd - dmaAddress;
    }

    private void RequireOwnDevice(DmaDevice device)
    {
        if (device?.Domain != this)
            ThrowNotOwnDevice(device);
    }

    // The throws of the hot paths live out of line, so that the paths' frames stay small (an interpolated message
    // inline costs every call its handler's stack space).
    [DoesNotReturn]
    private static void ThrowBufferSize(ulong size, ulong physical) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, $"Size must be at least 1 and the buffer at 0x{physical:x} must end within 2^64.");

    [DoesNotReturn]
    private void ThrowOutsideAperture(ulong dmaAddress) =>
        throw new ArgumentOutOfRangeException(nameof(dmaAddress), dmaAddress, $"The address is outside the aperture [0x{ApertureStart:x}, 0x{ApertureEnd:x}] or in its first granule.");

    [DoesNotReturn]
    private void ThrowUnmapSize(ulong size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, $"Size must be at least 1 and end within the aperture (0x{ApertureEnd:x}).");

    [DoesNotReturn]
    private static void ThrowNotOwnDevice(DmaDevice? device)
    {
        ArgumentNullException.ThrowIfNull(device);
        throw new ArgumentException($"{device} belongs to another domain.", nameof(device));
    }
}
