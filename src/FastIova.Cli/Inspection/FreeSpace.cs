namespace FastIova.Cli.Inspection;

/// <summary>
/// The free pfns of one window of a domain: how many, the largest gap, and how fragmented they are. Cached ranges count
/// as used: the kernel keeps them allocated in the tree, so <c>alloc_iova</c> cannot use them.
/// </summary>
/// <param name="First">The window's first pfn.</param>
/// <param name="Last">The window's last pfn (inclusive); below <paramref name="First"/> for an empty window.</param>
/// <param name="TotalFree">Free pfns in the window.</param>
/// <param name="LargestGap">The largest run of free pfns, or null when none is free.</param>
/// <param name="GapCount">How many separate free runs the window has.</param>
internal readonly record struct FreeSpace(ulong First, ulong Last, ulong TotalFree, IovaRange? LargestGap, long GapCount)
{
    /// <summary>Whether the window holds any pfn at all.</summary>
    public bool IsEmpty => Last < First;

    /// <summary>
    /// <c>1 - largest free gap / total free</c>: 0 when all free pfns form one gap (any request that fits the free total
    /// fits somewhere), near 1 when they are scattered in many small gaps. Null when nothing is free.
    /// </summary>
    public double? Fragmentation => TotalFree == 0 || LargestGap is not { } largest ? null : 1.0 - (double)largest.Size / TotalFree;

    /// <summary>Measures the free pfns of <c>[first, last]</c> around address-ordered <paramref name="ranges"/>.</summary>
    public static FreeSpace Measure(IReadOnlyList<IovaRange> ranges, ulong first, ulong last)
    {
        if (last < first)
        {
            return new FreeSpace(first, last, 0, null, 0);
        }

        ulong total = 0;
        long gaps = 0;
        IovaRange? largest = null;
        foreach (var gap in Gaps(ranges, first, last))
        {
            total += gap.Size;
            gaps++;
            if (largest is not { } best || gap.Size > best.Size)
            {
                largest = gap;
            }
        }

        return new FreeSpace(first, last, total, largest, gaps);
    }

    /// <summary>The free runs of <c>[first, last]</c> around address-ordered, disjoint <paramref name="ranges"/>.</summary>
    public static IEnumerable<IovaRange> Gaps(IReadOnlyList<IovaRange> ranges, ulong first, ulong last)
    {
        ulong next = first;
        foreach (var used in ranges)
        {
            if (used.PfnHi < next)
            {
                continue;
            }

            if (used.PfnLo > last)
            {
                break;
            }

            if (used.PfnLo > next)
            {
                yield return new IovaRange(next, used.PfnLo - 1);
            }

            if (used.PfnHi >= last)
            {
                yield break;
            }

            next = used.PfnHi + 1;
        }

        yield return new IovaRange(next, last);
    }
}
