using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastIova.Tree;

// Range mutation inside the leaves: insert, remove and extend, with the splits, merges and LeafMaxGap upkeep they need.
internal sealed partial class IovaTree
{
    // A leaf left with fewer ranges than this after a removal merges into a neighbour that can take them and stay at
    // or under MergedMost; the gap between the two bounds keeps a leaf from splitting and merging back and forth.
    private const int MergeBelow = LeafCapacity / 4;
    private const int MergedMost = LeafCapacity * 3 / 4;

    /// <summary>Inserts <c>[lo, hi]</c>, which must not overlap any range; returns its handle.</summary>
    public int Insert(ulong lo, ulong hi) => InsertBelow(FirstEndingAtOrAbove(lo), lo, hi);

    /// <summary>
    /// Inserts <c>[lo, hi]</c>, which lies in the gap below range <paramref name="above"/> (as
    /// <see cref="FindHighest(ulong, ulong, ulong, ulong, out int)"/> reports it), as that range's predecessor; returns
    /// its handle.
    /// </summary>
    public int InsertBelow(int above, ulong lo, ulong hi)
    {
        int leaf = above >> LeafShift, slot = above & SlotMask;
        Debug.Assert(GapBottom(above) <= lo && lo <= hi && hi < _lo[above], "not in the gap below the hinted range");
        if (_leaves[leaf].Count == LeafCapacity)
        {
            // Below a full leaf's first range (the top-down allocation's usual place) a new leaf starts, so that
            // ranges allocated in address order fill their leaves instead of leaving them half full.
            if (slot == 0)
                return StartLeafBelow(leaf, lo, hi);
            (leaf, slot) = Split(leaf, slot);
        }

        return InsertAt(leaf, slot, lo, hi);
    }

    // The new range goes at `slot` of `leaf`, which has room, in the gap below the range now there.
    private int InsertAt(int leaf, int slot, ulong lo, ulong hi)
    {
        ref TreeLeaf header = ref _leaves[leaf];
        int at = (leaf << LeafShift) + slot, moved = header.Count - slot;
        ulong gapBottom = GapBottom(at);
        ulong oldGap = _lo[at] - gapBottom;
        ShiftUp(at, moved);
        _lo[at] = lo;
        _hi[at] = hi;
        header.Count++;
        _count++;

        GapShrank(leaf, oldGap); // split in two smaller ones
        return at;
    }

    // A new leaf holding just [lo, hi], linked below full `leaf`, whose first range's gap it takes its place in.
    private int StartLeafBelow(int leaf, ulong lo, ulong hi)
    {
        int x = NewLeaf();
        int first = leaf << LeafShift, at = x << LeafShift;
        ref TreeLeaf above = ref _leaves[leaf];
        ref TreeLeaf header = ref _leaves[x];
        _lo[at] = lo;
        _hi[at] = hi;
        header.Count = 1;
        header.Floor = above.Floor;
        header.LeafMaxGap = lo - above.Floor;

        ulong oldGap = _lo[first] - above.Floor;
        above.Floor = hi + 1;
        GapShrank(leaf, oldGap);
        _count++;
        LinkLeafBelow(leaf, x);
        return at;
    }

    // Moves the lower half of full `leaf` to a new leaf linked below it; returns where the range that was at `slot`
    // now is, which is where a range inserted below it goes.
    private (int Leaf, int Slot) Split(int leaf, int slot)
    {
        const int Half = LeafCapacity / 2;
        int x = NewLeaf();
        int from = leaf << LeafShift, to = x << LeafShift;
        CopyRanges(from, to, Half);
        CopyRanges(from + Half, from, LeafCapacity - Half);

        ref TreeLeaf upper = ref _leaves[leaf];
        ref TreeLeaf lower = ref _leaves[x];
        lower.Count = Half;
        lower.Floor = upper.Floor;
        upper.Count = LeafCapacity - Half;
        upper.Floor = _hi[to + Half - 1] + 1;
        lower.LeafMaxGap = ScanLeafMaxGap(x);
        upper.LeafMaxGap = ScanLeafMaxGap(leaf);
        _looseLeafMaxGap[x] = _looseLeafMaxGap[leaf] = false;
        LinkLeafBelow(leaf, x);
        return slot < Half ? (x, slot) : (leaf, slot - Half);
    }

    /// <summary>
    /// Removes range <paramref name="z"/> (never the anchor); returns the handle its successor has afterwards. The
    /// successor's gap takes in the removed range and its gap.
    /// </summary>
    public int Remove(int z)
    {
        Debug.Assert(z != Nil && !IsAnchor(z));
        int leaf = z >> LeafShift, slot = z & SlotMask;
        ref TreeLeaf header = ref _leaves[leaf];
        int count = header.Count;
        ulong gapBottom = GapBottom(z);
        _count--;

        int successor;
        if (slot + 1 < count)
        {
            // The successor is in this leaf. Its gap grows to cover the removed range and that range's gap.
            int moved = count - slot - 1;
            ShiftDown(z, moved);
            header.Count = count - 1;
            if (GapGrew(leaf, _lo[z] - gapBottom))
                UpdateMaxGapUpward(leaf, leaf);

            successor = z;
        }
        else
        {
            // The leaf's last range: the successor starts the next leaf (there is one, the anchor's at worst), whose
            // floor drops to the removed gap's bottom. This leaf loses that gap.
            ulong removedGap = _lo[z] - gapBottom;
            int next = header.Next;
            _leaves[next].Floor = gapBottom;
            GapGrew(next, _lo[next << LeafShift] - gapBottom);
            header.Count = count - 1;
            if (count == 1)
            {
                UnlinkLeaf(leaf, next);
                return next << LeafShift;
            }

            UpdateMaxGapUpward(next, next);
            GapShrank(leaf, removedGap); // to nothing, in this leaf
            successor = next << LeafShift;
        }

        if (header.Count < MergeBelow)
        {
            ulong successorLo = _lo[successor];
            if (TryMerge(leaf))
                successor = FindContaining(successorLo);
        }

        return successor;
    }

    // Moves sparse `leaf`'s ranges into a neighbour with room (the previous leaf first: appending shifts nothing).
    private bool TryMerge(int leaf)
    {
        ref TreeLeaf header = ref _leaves[leaf];
        int count = header.Count, from = leaf << LeafShift;
        int prev = header.Prev, next = header.Next;
        if (prev != Nil && _leaves[prev].Count + count <= MergedMost)
        {
            // The moved ranges keep their gaps: this leaf's floor is the previous leaf's last end + 1.
            ref TreeLeaf into = ref _leaves[prev];
            int to = (prev << LeafShift) + into.Count;
            CopyRanges(from, to, count);
            into.Count += count;
            JoinMaxGaps(prev, leaf);
            UnlinkLeaf(leaf, prev);
            return true;
        }

        if (next != Nil && _leaves[next].Count + count <= MergedMost)
        {
            ref TreeLeaf into = ref _leaves[next];
            int to = next << LeafShift;
            CopyRanges(to, to + count, into.Count);
            CopyRanges(from, to, count);
            into.Count += count;
            into.Floor = header.Floor;
            JoinMaxGaps(next, leaf);
            UnlinkLeaf(leaf, next);
            return true;
        }

        return false;
    }

    /// <summary>Moves range <paramref name="n"/>'s start down to <paramref name="newLo"/>, into the free gap below it.</summary>
    public void ExtendDown(int n, ulong newLo)
    {
        ulong gapBottom = GapBottom(n);
        Debug.Assert(gapBottom <= newLo && newLo <= _lo[n]);
        ulong oldGap = _lo[n] - gapBottom;
        _lo[n] = newLo;
        GapShrank(n >> LeafShift, oldGap);
    }

    // Copies `count` ranges' pfns from handle `from` to handle `to` (the spans may overlap: CopyTo then moves). For the
    // bulk moves of splits and merges, about once per leaf's capacity of operations; the per-operation one-slot moves
    // are ShiftUp and ShiftDown.
    private void CopyRanges(int from, int to, int count)
    {
        _lo.AsSpan(from, count).CopyTo(_lo.AsSpan(to, count));
        _hi.AsSpan(from, count).CopyTo(_hi.AsSpan(to, count));
    }

    // ---- LeafMaxGap upkeep: an exact value, or a loose bound above it (_looseLeafMaxGap) ----------------------------

    // A gap of the leaf that was `oldGap` shrank, or left the leaf. If it was the largest, the value stays as a bound.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void GapShrank(int leaf, ulong oldGap)
    {
        if (oldGap == _leaves[leaf].LeafMaxGap)
            _looseLeafMaxGap[leaf] = true;
    }

    // A gap of the leaf grew to `grown`; returns whether LeafMaxGap changed. Above the bound, it is the largest gap
    // exactly, whatever the bound was.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool GapGrew(int leaf, ulong grown)
    {
        if (grown <= _leaves[leaf].LeafMaxGap)
            return false;
        _leaves[leaf].LeafMaxGap = grown;
        _looseLeafMaxGap[leaf] = false;
        return true;
    }

    // Leaf `into` took leaf `from`'s ranges, whose gaps kept their sizes: the larger value, exact if that one was.
    private void JoinMaxGaps(int into, int from)
    {
        ulong a = _leaves[into].LeafMaxGap, b = _leaves[from].LeafMaxGap;
        bool looseA = _looseLeafMaxGap[into], looseB = _looseLeafMaxGap[from];
        _looseLeafMaxGap[into] = a > b ? looseA : b > a ? looseB : looseA && looseB;
        _leaves[into].LeafMaxGap = Math.Max(a, b);
    }

    // A search scanned the leaf for nothing: if its value may be loose, rescans it and carries a change up the tree.
    private void TightenLeafMaxGap(int leaf)
    {
        if (!_looseLeafMaxGap[leaf])
            return;
        _looseLeafMaxGap[leaf] = false;
        ulong max = ScanLeafMaxGap(leaf);
        if (max != _leaves[leaf].LeafMaxGap)
        {
            _leaves[leaf].LeafMaxGap = max;
            UpdateMaxGapUpward(leaf, leaf);
        }
    }

    // The leaf's largest gap; four gaps per vector step, the rest one by one.
    private ulong ScanLeafMaxGap(int leaf)
    {
        ref TreeLeaf header = ref _leaves[leaf];
        int first = leaf << LeafShift, count = header.Count;
        ref ulong lo = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lo), first);
        ref ulong hi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_hi), first);
        ulong max = lo - header.Floor;
        int i = 1;
        if (count > Vector256<ulong>.Count)
        {
            var maxes = Vector256<ulong>.Zero;
            for (; i + Vector256<ulong>.Count <= count; i += Vector256<ulong>.Count)
            {
                var gaps = Vector256.LoadUnsafe(ref lo, (nuint)i) - Vector256.LoadUnsafe(ref hi, (nuint)(i - 1)) - Vector256<ulong>.One;
                maxes = Vector256.Max(maxes, gaps);
            }

            for (int lane = 0; lane < Vector256<ulong>.Count; lane++)
                max = Math.Max(max, maxes.GetElement(lane));
        }

        for (; i < count; i++)
            max = Math.Max(max, Unsafe.Add(ref lo, i) - Unsafe.Add(ref hi, i - 1) - 1);
        return max;
    }
}
