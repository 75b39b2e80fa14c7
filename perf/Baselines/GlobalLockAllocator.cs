namespace FastIova.Perf.Baselines;

/// <summary>
/// The allocator a quick C# port of iova.c tends to become: one global <see cref="Monitor"/> around a
/// <see cref="SortedSet{T}"/> of ranges, first fit scanning gaps from the limit downwards, no cached nodes, no
/// per-thread caches. It gives the same answers as the kernel only in simple cases; it is here as the bar that
/// FastIova must clear by a wide margin, not as a reference for placement.
/// </summary>
internal sealed class GlobalLockAllocator
{
    private static readonly Comparer<IovaRange> s_byStart = Comparer<IovaRange>.Create((a, b) => a.PfnLo.CompareTo(b.PfnLo));

    private readonly object _gate = new();
    private readonly SortedSet<IovaRange> _ranges = new(s_byStart);
    private readonly ulong _startPfn;

    /// <summary>Creates an empty allocator that hands out pfns at or above <paramref name="startPfn"/>.</summary>
    public GlobalLockAllocator(ulong startPfn) => _startPfn = startPfn;

    /// <summary>
    /// Creates an allocator holding <paramref name="ranges"/> already (for example a FastIova domain's
    /// <see cref="IovaDomain.GetRanges"/>): building a large state one first-fit allocation at a time is quadratic.
    /// </summary>
    public GlobalLockAllocator(ulong startPfn, IEnumerable<IovaRange> ranges)
        : this(startPfn)
    {
        foreach (IovaRange range in ranges)
        {
            _ranges.Add(range);
        }
    }

    /// <summary>Number of live ranges.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ranges.Count;
            }
        }
    }

    /// <summary>Allocates the highest block of <paramref name="size"/> pfns that fits at or below <paramref name="limitPfn"/>.</summary>
    public bool TryAllocate(ulong size, ulong limitPfn, bool sizeAligned, out ulong pfn)
    {
        ulong alignMask = sizeAligned ? ~(RoundUpToPowerOfTwo(size) - 1) : ~0UL;
        lock (_gate)
        {
            // Walk the gaps from the top: each live range, highest first, closes the gap above it.
            ulong gapTop = limitPfn; // inclusive upper end of the current gap
            foreach (IovaRange range in _ranges.Reverse())
            {
                if (range.PfnLo > limitPfn)
                {
                    continue;
                }

                if (range.PfnHi < gapTop && TryPlace(range.PfnHi + 1, gapTop, size, alignMask, out pfn))
                {
                    _ranges.Add(new IovaRange(pfn, pfn + size - 1));
                    return true;
                }

                if (range.PfnLo <= _startPfn)
                {
                    pfn = 0;
                    return false;
                }

                gapTop = range.PfnLo - 1;
            }

            if (TryPlace(_startPfn, gapTop, size, alignMask, out pfn))
            {
                _ranges.Add(new IovaRange(pfn, pfn + size - 1));
                return true;
            }

            pfn = 0;
            return false;
        }
    }

    /// <summary>Frees the range that starts at <paramref name="pfnLo"/>; false if none does.</summary>
    public bool Free(ulong pfnLo)
    {
        lock (_gate)
        {
            return _ranges.Remove(new IovaRange(pfnLo, pfnLo));
        }
    }

    // The highest aligned block of size pfns inside [lo, hi], if any.
    private static bool TryPlace(ulong lo, ulong hi, ulong size, ulong alignMask, out ulong pfn)
    {
        pfn = 0;
        if (hi < lo || hi - lo + 1 < size)
        {
            return false;
        }

        ulong candidate = (hi - size + 1) & alignMask;
        if (candidate < lo)
        {
            return false;
        }

        pfn = candidate;
        return true;
    }

    private static ulong RoundUpToPowerOfTwo(ulong value) => value <= 1 ? 1 : 1UL << (64 - System.Numerics.BitOperations.LeadingZeroCount(value - 1));
}
