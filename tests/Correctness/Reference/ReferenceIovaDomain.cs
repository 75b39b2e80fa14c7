using System.Numerics;

namespace FastIova.Tests.Correctness.Reference;

/// <summary>
/// A deliberately plain model of the kernel's tree allocator (drivers/iommu/iova.c), written from TRACE-FORMAT.md
/// only: a sorted list of inclusive ranges, placement by scanning gaps from high to low. It is the judge of the
/// differential tests, so it trades every bit of speed for being easy to check line by line against the spec.
/// </summary>
internal sealed class ReferenceIovaDomain
{
    // Sorted by PfnLo; ranges are disjoint, so PfnLo is unique. The last entry is always the anchor.
    private readonly List<ReferenceRange> _ranges = [];
    private readonly ReferenceRange _anchor = new(ulong.MaxValue, ulong.MaxValue);

    public ReferenceIovaDomain(ulong granule, ulong startPfn)
    {
        if (granule == 0 || !BitOperations.IsPow2(granule))
        {
            throw new ArgumentException("granule must be a power of two", nameof(granule));
        }

        int shift = BitOperations.Log2(granule);
        Granule = granule;
        StartPfn = startPfn;
        Dma32Pfn = 1UL << (32 - shift);
        MaxPfn = ulong.MaxValue >> shift;
        Max32AllocSize = Dma32Pfn;
        _ranges.Add(_anchor);
        CachedNode = _anchor;
        Cached32Node = _anchor;
    }

    public ulong Granule { get; }

    public ulong StartPfn { get; }

    public ulong Dma32Pfn { get; }

    public ulong MaxPfn { get; }

    /// <summary>The 32-bit hint: a 32-bit request at least this large fails without a search.</summary>
    public ulong Max32AllocSize { get; private set; }

    /// <summary>Where searches with a limit above the 32-bit boundary start (a range entry, possibly the anchor).</summary>
    public ReferenceRange CachedNode { get; private set; }

    /// <summary>Where 32-bit searches start (a range entry, possibly the anchor).</summary>
    public ReferenceRange Cached32Node { get; private set; }

    /// <summary>Allocations refused by the 32-bit shortcut (coverage figure for the tests).</summary>
    public long HintFailures { get; private set; }

    /// <summary>Allocations that searched and failed (coverage figure for the tests).</summary>
    public long SearchFailures { get; private set; }

    /// <summary>Allocations placed by the retry pass (coverage figure for the tests).</summary>
    public long RetryPlacements { get; private set; }

    /// <summary>Ranges in the model, anchor excluded.</summary>
    public int Count => _ranges.Count - 1;

    /// <summary>The live range at <paramref name="index"/> in address order (0..Count-1).</summary>
    public IovaRange RangeAt(int index) => (uint)index < (uint)Count
        ? _ranges[index].ToIovaRange()
        : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The live ranges in address order, anchor excluded.</summary>
    public IovaRange[] GetRanges() => [.. _ranges.Take(_ranges.Count - 1).Select(r => r.ToIovaRange())];

    /// <summary>alloc_iova: the block's first pfn, or null on failure.</summary>
    public ulong? Alloc(ulong size, ulong limitPfn, bool sizeAligned)
    {
        ulong limitExclusive = limitPfn + 1;
        bool is32Bit = limitExclusive <= Dma32Pfn;

        // 1. The 32-bit shortcut: fail at once, hint unchanged.
        if (is32Bit && size >= Max32AllocSize)
        {
            HintFailures++;
            return null;
        }

        ulong alignment = sizeAligned ? BitOperations.RoundUpToPowerOf2(size) : 1;

        // 2. The cached node of the request's class.
        ReferenceRange cached = is32Bit ? Cached32Node : CachedNode;

        // 3. First pass: below the cached node.
        ulong? found = HighestBlock(StartPfn, Math.Min(limitExclusive, cached.PfnLo), size, alignment);

        // 4. Retry pass: between the cached node and the limit (never wraps: only when the node ends below L).
        if (found is null && cached.PfnHi < limitExclusive)
        {
            found = HighestBlock(cached.PfnHi + 1, limitExclusive, size, alignment);
            RetryPlacements += found is null ? 0 : 1;
        }

        // 5. Failure lowers the hint, whatever the limit was.
        if (found is not ulong pfnLo)
        {
            Max32AllocSize = size;
            SearchFailures++;
            return null;
        }

        // 6. The new range becomes the cached node of its side of the boundary.
        var range = new ReferenceRange(pfnLo, pfnLo + size - 1);
        Insert(range);
        if (range.PfnHi < Dma32Pfn)
        {
            Cached32Node = range;
        }
        else
        {
            CachedNode = range;
        }

        return pfnLo;
    }

    /// <summary>free_iova of the range containing pfn; false (no change) if none.</summary>
    public bool Free(ulong pfn)
    {
        int index = IndexContaining(pfn);
        if (index < 0)
        {
            return false;
        }

        Remove(index);
        return true;
    }

    /// <summary>find_iova.</summary>
    public IovaRange? Find(ulong pfn)
    {
        int index = IndexContaining(pfn);
        return index < 0 ? null : _ranges[index].ToIovaRange();
    }

    /// <summary>reserve_iova: the returned range, or null when a pfn is beyond <see cref="MaxPfn"/>.</summary>
    public IovaRange? Reserve(ulong pfnLo, ulong pfnHi)
    {
        if (pfnLo > MaxPfn || pfnHi > MaxPfn)
        {
            return null;
        }

        // Walk the ranges in address order (the anchor included, as the kernel does), adjusting the request.
        // Ranges ending below the request cannot overlap it and are skipped; the walk starts at the last range
        // starting below the request and stops once ranges start above its (fixed) upper end.
        for (int i = Math.Max(0, CountStartingBelow(pfnLo) - 1); i < _ranges.Count && _ranges[i].PfnLo <= pfnHi; i++)
        {
            ReferenceRange existing = _ranges[i];
            bool overlaps = pfnLo <= existing.PfnHi && pfnHi >= existing.PfnLo;
            if (!overlaps)
            {
                continue;
            }

            if (pfnLo < existing.PfnLo)
            {
                existing.PfnLo = pfnLo; // extended downwards in place: cached references see it
            }

            if (pfnHi > existing.PfnHi)
            {
                pfnLo = existing.PfnHi + 1;
            }

            if (pfnLo >= existing.PfnLo && pfnHi <= existing.PfnHi)
            {
                return existing.ToIovaRange();
            }
        }

        var remainder = new ReferenceRange(pfnLo, pfnHi);
        Insert(remainder);
        return remainder.ToIovaRange();
    }

    /// <summary>
    /// The highest block of <paramref name="size"/> pfns starting at a multiple of <paramref name="alignment"/> that
    /// lies in <c>[windowLo, windowHiExclusive - 1]</c> and in a gap between ranges, found by visiting the gaps from
    /// the highest to the lowest and taking the first that holds the block, as high in it as alignment allows.
    /// </summary>
    private ulong? HighestBlock(ulong windowLo, ulong windowHiExclusive, ulong size, ulong alignment)
    {
        // The gap's exclusive upper end: the window top, then the first pfn of each range we pass going down.
        ulong gapTop = windowHiExclusive;

        // Ranges starting at or above the window top bound no gap inside the window; start below them.
        for (int i = CountStartingBelow(gapTop) - 1; ; i--)
        {
            // The gap between range i (or pfn 0 when i is -1) and gapTop, clipped to the window.
            ulong gapBottom = Math.Max(i >= 0 ? _ranges[i].PfnHi + 1 : 0, windowLo);
            if (gapTop >= size)
            {
                ulong start = (gapTop - size) & ~(alignment - 1);
                if (start >= gapBottom)
                {
                    return start;
                }
            }

            if (i < 0 || _ranges[i].PfnLo <= windowLo)
            {
                return null; // every lower gap lies below the window
            }

            gapTop = _ranges[i].PfnLo;
        }
    }

    private void Insert(ReferenceRange range) => _ranges.Insert(CountStartingBelow(range.PfnLo), range);

    /// <summary>Removes a range with the kernel's cached-node updates, all tests on values before removal.</summary>
    private void Remove(int index)
    {
        ReferenceRange freed = _ranges[index];
        ReferenceRange successor = _ranges[index + 1];

        if (ReferenceEquals(freed, Cached32Node) || (freed.PfnHi < Dma32Pfn && freed.PfnLo >= Cached32Node.PfnLo))
        {
            Cached32Node = successor;
        }

        if (freed.PfnLo < Dma32Pfn)
        {
            Max32AllocSize = Dma32Pfn;
        }

        if (freed.PfnLo >= CachedNode.PfnLo)
        {
            CachedNode = successor;
        }

        _ranges.RemoveAt(index);
    }

    /// <summary>The index of the live range containing pfn (the anchor excluded), or -1.</summary>
    private int IndexContaining(ulong pfn)
    {
        if (pfn == ulong.MaxValue)
        {
            return -1; // only the anchor lives there
        }

        int i = CountStartingBelow(pfn + 1) - 1; // the last range starting at or below pfn
        return i >= 0 && i < _ranges.Count - 1 && _ranges[i].PfnHi >= pfn ? i : -1;
    }

    /// <summary>How many ranges (anchor included) start below pfn: a binary search over the sorted list.</summary>
    private int CountStartingBelow(ulong pfn)
    {
        int lo = 0;
        int hi = _ranges.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ranges[mid].PfnLo < pfn)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
