using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastIova.Tree;

// Searches: containment, placement (the augmented descent and the kernel's linear walk) and iova_find_limit.
internal sealed partial class IovaTree
{
    // ---- Queries -------------------------------------------------------------------------------------------------

    /// <summary>The range containing <paramref name="pfn"/>, or <see cref="Nil"/>.</summary>
    public int FindContaining(ulong pfn)
    {
        int last = LastStartingAtOrBelow(FindLeaf(pfn), pfn);
        return _lo[last] <= pfn && _hi[last] >= pfn ? last : Nil;
    }

    /// <summary>The lowest range ending at or above <paramref name="pfn"/> (the anchor at worst).</summary>
    public int FirstEndingAtOrAbove(ulong pfn)
    {
        // The leaf covering pfn ends at or above it, so the range after the last one starting at or below pfn is in it.
        int last = LastStartingAtOrBelow(FindLeaf(pfn), pfn);
        return _hi[last] >= pfn ? last : last + 1;
    }

    // The leaf covering pfn: the last whose floor is at or below it (the first leaf's floor is 0).
    private int FindLeaf(ulong pfn)
    {
        var leaves = _leaves;
        int x = _root, covering = Nil;
        while (x != Nil)
        {
            ref TreeLeaf leaf = ref leaves[x];
            if (pfn < leaf.Floor)
            {
                x = leaf.Left;
            }
            else
            {
                covering = x;
                x = leaf.Right;
            }
        }

        return covering;
    }

    // The handle of the leaf's last range starting at or below pfn, or of its first range when none does (pfn is then
    // in the first range's gap).
    private int LastStartingAtOrBelow(int leaf, ulong pfn)
    {
        int at = leaf << LeafShift, length = _leaves[leaf].Count;
        ref ulong first = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lo), at);
        return at + (Vector512.IsHardwareAccelerated ? CountedSlot(ref first, length, pfn) : BisectedSlot(ref first, length, pfn));
    }

    /// <summary>
    /// The leaf search with 512-bit vectors: the slot of the last of <paramref name="length"/> ascending starts at
    /// <paramref name="first"/> that is at or below <paramref name="pfn"/> (0 when none is), from a count of those
    /// starts, eight per compare, with no branch on the data. Reads whole vectors: the slots must be readable up to
    /// <paramref name="length"/> rounded up to eight (a leaf's slots are).
    /// </summary>
    /// <remarks>
    /// Measured on the per-thread tree pattern: a free's binary search over 32 ranges was its hottest code, its steps
    /// mispredicted; counting gave 28.7 -> 29.3 Mops/s on one thread, 27.0 -> 29.0 on two, and 19.7 -> 22.0 with 64
    /// live ranges on one (medians of 16 and 9 rounds). In full leaves whose every binary step predicts (the tree-path
    /// benchmark's repeated operation) it costs about 1 ns more. With 256-bit vectors counting lost to the binary search.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int CountedSlot(ref ulong first, int length, ulong pfn)
    {
        var key = Vector512.Create(pfn);
        int atOrBelow = 0, i = 0;
        for (; i + Vector512<ulong>.Count <= length; i += Vector512<ulong>.Count)
            atOrBelow += BitOperations.PopCount(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref first, (nuint)i), key).ExtractMostSignificantBits());
        if (i < length)
        {
            ulong inLeaf = (1UL << (length - i)) - 1; // drops the slots read past the ranges
            atOrBelow += BitOperations.PopCount(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref first, (nuint)i), key).ExtractMostSignificantBits() & inLeaf);
        }

        return Math.Max(atOrBelow - 1, 0);
    }

    /// <summary>
    /// <see cref="CountedSlot"/>'s answer by binary search, where 512-bit vectors are not accelerated. A branch-free
    /// search lost to it (each step waits for the last one's load).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int BisectedSlot(ref ulong first, int length, ulong pfn)
    {
        int slot = 0;
        while (length > 1)
        {
            int half = length >> 1;
            slot += Unsafe.Add(ref first, slot + half) <= pfn ? half : 0;
            length -= half;
        }

        return slot;
    }

    // ---- Placement: the highest aligned block of `size` free pfns in a window ---------------------------------------

    /// <summary>
    /// The highest start <c>s</c>, a multiple of the alignment encoded in <paramref name="alignMask"/>, such that
    /// <c>[s, s + size - 1]</c> is free and lies in <c>[low, high]</c>; <see cref="NotFound"/> if there is none.
    /// </summary>
    /// <remarks>
    /// Gaps are disjoint and ordered, so the highest fitting block is the one in the highest gap that can hold it,
    /// which is exactly what the kernel's downward walk returns. Subtrees whose largest gap is below
    /// <paramref name="size"/>, or whose gaps all lie outside the window, are skipped, so an unaligned search visits
    /// O(log n) leaves and scans only those at the window's two ends and the one holding the answer, plus any leaf
    /// whose value is a loose bound that admits the size: that one it rescans, so each insertion that loosened a leaf
    /// costs at most one such visit.
    /// With alignment a gap of at least <c>size</c> pfns may still hold no aligned block, so the gap
    /// test is only necessary: the worst case visits every such misaligned gap above the answer, each for O(log n)
    /// (gaps of <c>size + align - 1</c> or more always fit, so only gaps shorter than that can mislead the search).
    /// </remarks>
    /// <param name="low">The window's lowest pfn.</param>
    /// <param name="high">The window's highest pfn.</param>
    /// <param name="size">Pfns wanted.</param>
    /// <param name="alignMask">The start is rounded down with it.</param>
    /// <param name="above">The range whose gap holds the block (its successor once inserted): the hint for
    /// <see cref="InsertBelow"/>.</param>
    public ulong FindHighest(ulong low, ulong high, ulong size, ulong alignMask, out int above)
    {
        above = Nil;
        if (low > high || high - low + 1 < size || _leaves[_root].MaxGap < size)
            return NotFound;
        above = FindHighestGap(_root, low, high, size, alignMask);
        return above == Nil ? NotFound : HighestStartInGap(above, high, size, alignMask);
    }

    // The block's start in the gap below range n, capped by the window's top; the search has checked that it fits.
    private ulong HighestStartInGap(int n, ulong high, ulong size, ulong alignMask) =>
        (Math.Min(_lo[n] - 1, high) - size + 1) & alignMask;

    // The range whose gap holds the highest fitting block, or Nil. Precondition: leaf x's subtree holds a gap of at
    // least `size` (MaxGap checked by the caller).
    private int FindHighestGap(int x, ulong low, ulong high, ulong size, ulong alignMask)
    {
        while (true)
        {
            ref TreeLeaf leaf = ref _leaves[x];

            // Read both children's MaxGap before deciding: the two loads are independent, so with a tree larger than
            // the caches their misses overlap instead of costing one after the other.
            int right = leaf.Right, left = leaf.Left;
            ulong rightMax = _leaves[right].MaxGap;
            ulong leftMax = _leaves[left].MaxGap;

            // Gaps in the right subtree start above this leaf's last end: they matter only if that is below the
            // window's top.
            if (rightMax >= size && _hi[(x << LeafShift) + leaf.Count - 1] < high)
            {
                int found = FindHighestGap(right, low, high, size, alignMask);
                if (found != Nil)
                    return found;
            }

            if (leaf.LeafMaxGap >= size)
            {
                int found = FindHighestGapInLeaf(x, low, high, size, alignMask);
                if (found != Nil)
                    return found;
                TightenLeafMaxGap(x); // so that a loose value misleads one search at most
            }

            // Gaps in the left subtree all end below this leaf's floor: none can reach the window if the floor is at
            // or below the window's bottom.
            if (leaf.Floor <= low || leftMax < size)
                return Nil;
            x = left;
        }
    }

    // The leaf's gaps from the window's top down: the first that holds an aligned block inside the window.
    private int FindHighestGapInLeaf(int x, ulong low, ulong high, ulong size, ulong alignMask)
    {
        // The range whose gap holds the window's top, or the leaf's last range if the window reaches past it.
        int n = LastStartingAtOrBelow(x, high);
        if (_lo[n] <= high)
            n = Math.Min(n + 1, (x << LeafShift) + _leaves[x].Count - 1);
        return ScanDown(n, low, high, size, alignMask);
    }

    // The gaps of range n and the ranges below it in its leaf, from the top: the first that holds an aligned block
    // inside [low, high], or Nil.
    private int ScanDown(int n, ulong low, ulong high, ulong size, ulong alignMask)
    {
        int first = n & ~SlotMask;
        ulong floor = _leaves[n >> LeafShift].Floor;
        ref ulong los = ref MemoryMarshal.GetArrayDataReference(_lo);
        ref ulong his = ref MemoryMarshal.GetArrayDataReference(_hi);
        var tooSmall = Vector256.Create(size - 1);
        for (; n >= first; n--)
        {
            // Four gaps at a time while none can hold the block and none ends below the window: a leaf whose largest
            // gap lies outside the window (the anchor's, above a 64-bit limit) is otherwise walked range by range.
            // Where one of the four is large enough, the scan goes straight to the highest such gap: those above it
            // are too small.
            while (Vector256.IsHardwareAccelerated && n - Vector256<ulong>.Count >= first && Unsafe.Add(ref los, n - 3) > low)
            {
                var gaps = Vector256.LoadUnsafe(ref los, (nuint)(n - 3)) - Vector256.LoadUnsafe(ref his, (nuint)(n - 4)) - Vector256<ulong>.One;
                uint largeEnough = Vector256.GreaterThan(gaps, tooSmall).ExtractMostSignificantBits();
                if (largeEnough != 0)
                {
                    n -= BitOperations.LeadingZeroCount(largeEnough) - (32 - Vector256<ulong>.Count); // lane 3 is gap n
                    break;
                }

                n -= Vector256<ulong>.Count;
            }

            ulong lo = _lo[n];
            if (lo <= low)
                return Nil; // this gap and every lower one end below the window
            ulong gapBottom = n == first ? floor : _hi[n - 1] + 1;
            if (lo - gapBottom < size)
                continue;
            ulong top = Math.Min(lo - 1, high);
            ulong bottom = Math.Max(gapBottom, low);
            if (top >= bottom && top - bottom + 1 >= size && ((top - size + 1) & alignMask) >= bottom)
                return n; // HighestStartInGap gives the same start again
        }

        return Nil;
    }

    /// <summary>
    /// <see cref="FindHighest(ulong, ulong, ulong, ulong, out int)"/> over <c>[low, Lo(from) - 1]</c>, starting where
    /// that window's top is: the gaps of range <paramref name="from"/> and those below it in its leaf, then those of the
    /// leaf below, then the tree below that. The first pass's window ends at the cached node, whose handle the caller
    /// holds, so this skips the descent to it.
    /// </summary>
    public ulong FindHighestBelow(int from, ulong low, ulong size, ulong alignMask, out int above)
    {
        ulong high = _lo[from] - 1;
        above = ScanDown(from, low, high, size, alignMask);
        if (above != Nil)
            return HighestStartInGap(above, high, size, alignMask);
        ref TreeLeaf leaf = ref _leaves[from >> LeafShift];
        ulong floor = leaf.Floor;
        if (floor <= low)
            return NotFound; // every lower gap ends below the window

        // Then the leaf below, whose gaps are the next ones down, before a descent from the root. The cached node is
        // often its leaf's first range (the successor of a leaf's last range, removed), so the scan above saw one gap,
        // and the answer often lies just below (measured with 512 live ranges: a third of all allocations descended
        // from the root; the leaf below now answers a third of those).
        int previous = leaf.Prev;
        ref TreeLeaf below = ref _leaves[previous];
        if (below.LeafMaxGap >= size)
        {
            above = ScanDown((previous << LeafShift) + below.Count - 1, low, floor - 1, size, alignMask);
            if (above != Nil)
                return HighestStartInGap(above, floor - 1, size, alignMask);
            TightenLeafMaxGap(previous);
        }

        return below.Floor <= low ? NotFound : FindHighest(low, below.Floor - 1, size, alignMask, out above);
    }

    /// <summary>
    /// The kernel's walk (<c>__alloc_and_insert_iova_range</c>'s loop): from range <paramref name="from"/> downwards,
    /// gap by gap, capping the top at <paramref name="highExclusive"/>, until a block fits or falls below
    /// <paramref name="low"/>. Linear in the ranges passed; kept as the reference and the benchmark baseline.
    /// </summary>
    public ulong WalkDown(int from, ulong highExclusive, ulong low, ulong size, ulong alignMask)
    {
        int current = from;
        ulong high = highExclusive;
        ulong start;
        do
        {
            high = Math.Min(high, _lo[current]);
            start = unchecked(high - size) & alignMask;
            current = Prev(current);
        }
        while (current != Nil && start <= _hi[current] && start >= low);

        return high < size || start < low ? NotFound : start;
    }
}
