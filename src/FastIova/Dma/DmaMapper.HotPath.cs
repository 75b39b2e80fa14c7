using System.Runtime.CompilerServices;
using FastIova.Caches;

namespace FastIova.Dma;

// The hot map and unmap of a mapper that owns its cache (a DmaWorker, or a thread's mapper): the common case in a few
// steps, with the rules' answer; everything else goes to the rules (DmaDomain.Mapping.cs) with nothing changed.
public abstract partial class DmaMapper
{
    // The owner's cache, whose magazines the hot paths use directly (IovaCache.Owned, or the thread's cache); null for
    // a simulated CPU, whose cache takes a lock, and while the domain records.
    private readonly ThreadCache? _owned;

    // The hot paths' copies of the domain's geometry (see DmaDomain.HotGeometry) and model, and the queue they append
    // to without a lock: the owner's own (null in strict mode, and in single-queue mode, whose shared queue takes its
    // lock).
    private readonly ulong _granuleMask;
    private readonly int _shift;
    private readonly ulong _firstAddress;
    private readonly ulong _apertureEnd;
    private readonly ulong _apertureSpan;
    private readonly ulong _hotSpan;
    private readonly ulong _hotPages;
    private readonly FlushQueues? _queues;
    private readonly FlushQueue? _ownedQueue;
    private readonly IIommuModel? _iommu;
    private readonly HotUnmap _hotUnmap;

    /// <summary>
    /// Maps <paramref name="size"/> bytes at <paramref name="physical"/> for <paramref name="device"/>'s streaming DMA
    /// (<c>__iommu_dma_map</c> with the DMA mask).
    /// </summary>
    /// <param name="device">A device of this domain.</param>
    /// <param name="physical">The buffer's physical address.</param>
    /// <param name="size">Bytes, at least 1; the mapping covers the granules they touch.</param>
    /// <param name="dmaAddress">The address the device uses for <paramref name="physical"/>: the IOVA plus the offset within the granule.</param>
    /// <returns>False if no IOVA fits below the device's mask (or the IOMMU model refused the page-table map).</returns>
    /// <remarks>
    /// For a worker or a thread, the common map takes a few steps: a device whose hot map is open (<see cref="DmaDevice.HotDomain"/>: this
    /// domain, mapping, not recording or checked), a buffer within 2^64 that touches a cached number of granules (one
    /// granule, the common case, is told by one compare), and a hit in the loaded magazine below the limit the rules
    /// try first. That is the answer the rules give (their first
    /// step is the same hit); an IOMMU model is then told of the map as they tell it. Anything else goes to the rules
    /// with nothing changed, and they throw where the arguments are bad.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryMap(DmaDevice device, ulong physical, ulong size, out ulong dmaAddress)
    {
        if (device?.HotDomain == Domain)
        {
            ulong offset = physical & _granuleMask;
            ulong lastPage = 0; // the granules touched, less one
            ulong pfn = 0;
            bool hit = false;

            // At least 1 byte, ending within the granule (so within 2^64 too): the common size takes its class's
            // constants without computing the count.
            if (size - 1 <= _granuleMask - offset)
            {
                hit = _hotPages != 0 && _owned!.TryGetLastLoaded(0, device.HotLimitEnd - 1, out pfn);
            }
            else if (size - 1 <= ~physical)
            {
                lastPage = (offset + (size - 1)) >> _shift;
                hit = lastPage < _hotPages && TryGetHot(lastPage, device.HotLimitEnd, out pfn);
            }

            if (hit)
            {
                if (_iommu is null || TellMap(device, pfn, physical - offset, lastPage + 1))
                {
                    dmaAddress = (pfn << _shift) + offset;
                    return true;
                }

                dmaAddress = 0;
                return false;
            }
        }

        (bool done, ulong address) = MapByRules(device!, physical, size);
        dmaAddress = address;
        return done;
    }

    /// <summary>
    /// Unmaps <paramref name="size"/> bytes at <paramref name="dmaAddress"/> (<c>__iommu_dma_unmap</c>): as mapped.
    /// Strict: the IOVA is freed at once into this mapper's cache. Lazy: it waits in the flush queue until a flush-all.
    /// </summary>
    /// <param name="dmaAddress">The DMA address a map returned.</param>
    /// <param name="size">The size it was mapped with.</param>
    /// <remarks>
    /// For a worker or a thread, the common unmap takes a few steps: an address in the aperture and a size within it
    /// (the rules' tests, folded; for one granule, a start below the aperture's last whole granule) and a cached number
    /// of granules; then strict mode's insert into the loaded magazine, or lazy mode's append to the worker's own queue
    /// while it has room and the timer has not covered it since the last unmap. With an IOMMU model it goes on through
    /// the rules' later steps itself, the model told first. Anything else goes to the rules (a simulated CPU: always).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unmap(ulong dmaAddress, ulong size)
    {
        ulong offset = dmaAddress & _granuleMask;
        ulong lastPage = 0;
        bool hot;

        // One granule: at least 1 byte, within the granule, which lies in the aperture when its start does (_hotSpan
        // ends at the last granule that ends inside the aperture).
        if (size - 1 <= _granuleMask - offset)
        {
            hot = dmaAddress - _firstAddress < _hotSpan;
        }
        else
        {
            lastPage = (offset + (size - 1)) >> _shift;
            hot = dmaAddress - _firstAddress <= _apertureSpan && size - 1 <= _apertureEnd - dmaAddress && lastPage < _hotPages;
        }

        if (hot)
        {
            ulong pfn = dmaAddress >> _shift;
            HotUnmap path = _hotUnmap;
            if (path == HotUnmap.IntoCache ? TryInsertHot(pfn, lastPage)
                : path == HotUnmap.IntoQueue ? TryAppend(pfn, lastPage + 1)
                : path == HotUnmap.Told && TryUnmapTold(pfn, lastPage + 1))
                return;
        }

        Domain.Unmap(this, dmaAddress, size);
    }

    // The hot map's hit and strict mode's insert in the loaded magazine of the size's class. One granule, the common
    // size, has a branch of its own with its class's constants (the map's is in TryMap): predicted, it gives the
    // magazine's address at once, where the class computed from an unmap's address would wait for the map that
    // returned it, and so chain each pair to the last. Told by comparing the size with the room left in the granule,
    // it also skips the count's shift (measured in a loop of pairs: strict 4.89 -> 4.62 ns, lazy 6.80 -> 6.46).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryGetHot(ulong lastPage, ulong limitEnd, out ulong pfn)
    {
        int sizeClass = SizeClass.Of(lastPage + 1);
        return _owned!.TryGetLastLoaded(sizeClass, limitEnd - (1UL << sizeClass), out pfn);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryInsertHot(ulong pfn, ulong lastPage) =>
        lastPage == 0 ? _owned!.TryInsertLoaded(0, pfn) : _owned!.TryInsertLoaded(SizeClass.Of(lastPage + 1), pfn);

    // The rules' map, its address returned in registers: TryMap is inlined into its caller, and handing dmaAddress on
    // by reference would keep the caller's variable in memory on every call, so that its next use (mostly the unmap)
    // waited for the reload (measured: the strict pair 5.67 -> 5.27 ns).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private (bool Done, ulong Address) MapByRules(DmaDevice device, ulong physical, ulong size) =>
        (Domain.TryMap(this, device, physical, size, out ulong address), address);

    // The rules' page-table map after the allocation (TryMapPages): a refusal frees the range at once.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TellMap(DmaDevice device, ulong pfn, ulong physical, ulong pages)
    {
        if (_iommu!.TryMap(device, pfn << _shift, physical, pages << _shift))
            return true;
        FreeFast(pfn, pages);
        return false;
    }

    // queue_iova's append while the ring has room, then its timer; false (nothing done) otherwise.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAppend(ulong pfn, ulong pages)
    {
        if (!_ownedQueue!.TryAppendAsOwner(pfn, pages))
            return false;
        _queues!.ArmTimerIfIdle(this);
        return true;
    }

    // UnmapCore's steps after its checks, the model told first; false (nothing done) once the domain is disposed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryUnmapTold(ulong pfn, ulong pages)
    {
        if (Domain.IsDisposed)
            return false;
        Domain.UnmapIova(this, pfn, pages);
        return true;
    }

    /// <summary>The owner's append to its own queue when nothing needs reaping (see <see cref="TryAppend"/>); false otherwise.</summary>
    internal bool TryAppendOwned(ulong pfn, ulong pages) => _ownedQueue is not null && TryAppend(pfn, pages);

    /// <summary>An unmap of this mapper reaps its queue into its caches: runs into its loaded magazines where it owns its cache.</summary>
    internal int Reap(FlushQueue queue, long finished) => queue.Reap(finished, this, _owned, _hotPages);

    /// <summary>The owner of <paramref name="queue"/> frees all of it into its caches after its own flush-all.</summary>
    internal int ReapAll(FlushQueue queue) => queue.ReapAll(this, _owned, _hotPages);

    // Where an unmap that passed the hot tests goes, fixed by the domain's mode and model.
    private enum HotUnmap : byte
    {
        None, // a simulated CPU, or single-queue mode without a model: the rules
        IntoCache, // strict: the loaded magazine
        IntoQueue, // lazy: the worker's own ring
        Told, // an IOMMU model: TryUnmapTold
    }
}
