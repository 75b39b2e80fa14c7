using System.Runtime.CompilerServices;

namespace FastIova.Tree;

/// <summary>
/// The disjoint inclusive pfn ranges of a domain, ordered by address: a red-black tree of leaves, each holding up to
/// <see cref="LeafCapacity"/> consecutive ranges in two flat pfn arrays. Nothing is allocated per range once the
/// arrays have grown. Each leaf keeps the largest free gap below its ranges and each subtree the largest of those, so
/// that the highest block of a given size inside a window is found by a pruned descent instead of the kernel's
/// gap-by-gap walk. Not thread-safe: the domain's tree lock guards it.
/// </summary>
/// <remarks>
/// <para>
/// Why leaves: in the common case (a range allocated just below the cached node, the oldest freed) a tree of one node
/// per range paid a descent, a rebalance and a max-gap walk to the root for every operation, all pointer chasing. A
/// leaf turns most of them into a shift of a few pfns inside one array and a compare with the leaf's largest gap; the
/// red-black work is left to the splits and merges, about one operation in a leaf's capacity.
/// </para>
/// <para>
/// A range is named by its handle, <c>leaf * LeafCapacity + slot</c>: the index of its pfns in the arrays. Handles are
/// valid until the next mutation (which may shift, split or merge leaves); a caller that keeps a range across
/// mutations keeps its start pfn, which is unique, and finds it again.
/// </para>
/// <para>
/// Invariants (checked by <see cref="CheckInvariants"/>): red-black properties over the leaves; every leaf in the tree
/// holds 1 to <see cref="LeafCapacity"/> ranges; in-order ranges strictly increasing and disjoint; each leaf's
/// <c>Floor</c> is its predecessor leaf's last end + 1 (0 for the first); <c>LeafMaxGap</c> at least the leaf's largest
/// gap, and equal to it unless the leaf is marked loose; <c>MaxGap</c> exact over the <c>LeafMaxGap</c>s;
/// the leaf list links agree with the in-order sequence; the anchor, a one-pfn range at <see cref="AnchorPfn"/>, is
/// always present and always the last range, so every free pfn below it lies in some range's gap and every range but
/// the anchor has a successor.
/// </para>
/// </remarks>
internal sealed partial class IovaTree
{
    /// <summary>The nil handle, and the nil leaf's index (always black, <c>MaxGap</c> 0).</summary>
    public const int Nil = 0;

    /// <summary>Returned by the searches when no block fits.</summary>
    public const ulong NotFound = ulong.MaxValue;

    /// <summary>The anchor's pfn, as the kernel's <c>IOVA_ANCHOR</c>.</summary>
    public const ulong AnchorPfn = ulong.MaxValue;

    /// <summary>
    /// Ranges per leaf. 64 keeps a shift inside a leaf to a few cache lines and a leaf's search to six compares, and
    /// makes the red-black tree up to 64 times smaller than one node per range (measured: 16 ran slower).
    /// </summary>
    public const int LeafCapacity = 1 << LeafShift;

    private const int LeafShift = 6;
    private const int SlotMask = LeafCapacity - 1;

    private TreeLeaf[] _leaves;
    private ulong[] _lo;
    private ulong[] _hi;

    // Per leaf: its LeafMaxGap may exceed its largest gap. An insertion that cuts a leaf's largest gap (an allocation's
    // usual place) leaves the old value standing as a bound instead of rescanning the leaf at once (the rescans took 11%
    // of a loop over sixteen working sets of 32). Pruning stays right with any bound at or above the truth; the one
    // search a loose bound misleads, scanning the leaf for nothing, rescans it (TightenLeafMaxGap).
    private bool[] _looseLeafMaxGap;
    private int _root;
    private int _lastLeaf;
    private int _freeLeaf;
    private int _highWater = 1; // leaf 0 is the nil leaf
    private int _count; // ranges, anchor included

    /// <summary>Creates a tree holding only the anchor.</summary>
    /// <param name="initialLeaves">Leaves to reserve up front (grows by doubling).</param>
    public IovaTree(int initialLeaves = 4)
    {
        int leaves = Math.Max(initialLeaves, 2);
        _leaves = new TreeLeaf[leaves];
        _lo = new ulong[leaves << LeafShift];
        _hi = new ulong[leaves << LeafShift];
        _looseLeafMaxGap = new bool[leaves];

        int anchorLeaf = NewLeaf();
        int anchor = anchorLeaf << LeafShift;
        _lo[anchor] = _hi[anchor] = AnchorPfn;
        ref TreeLeaf leaf = ref _leaves[anchorLeaf];
        leaf.Count = 1;
        leaf.LeafMaxGap = leaf.MaxGap = AnchorPfn; // the whole space below the anchor is free
        _root = _lastLeaf = anchorLeaf;
        _count = 1;
    }

    /// <summary>The anchor's handle.</summary>
    public int Anchor => (_lastLeaf << LeafShift) + _leaves[_lastLeaf].Count - 1;

    /// <summary>Ranges in the tree, anchor excluded.</summary>
    public int Count => _count - 1;

    /// <summary>Leaves in the tree (the perf suite and the tests look at the shape).</summary>
    public int LeafCount { get; private set; } = 1;

    /// <summary>First pfn of range <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Lo(int n) => _lo[n];

    /// <summary>Last pfn of range <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hi(int n) => _hi[n];

    /// <summary>The lowest pfn of the free gap directly below range <paramref name="n"/>: its predecessor's end + 1, or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong GapBottom(int n) => (n & SlotMask) == 0 ? _leaves[n >> LeafShift].Floor : _hi[n - 1] + 1;

    /// <summary>The range <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IovaRange Range(int n) => new(_lo[n], _hi[n]);

    /// <summary>Whether <paramref name="n"/> is the anchor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsAnchor(int n) => _lo[n] == AnchorPfn;

    /// <summary>
    /// Whether handle <paramref name="n"/> still names the live range starting at <paramref name="lo"/> (a kept handle
    /// is checked this way before use; start pfns are unique, so a match is that range).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsAt(int n, ulong lo) => (n & SlotMask) < _leaves[n >> LeafShift].Count && _lo[n] == lo;

    /// <summary>Whether two handles lie in the same leaf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool SameLeaf(int m, int n) => (m ^ n) >> LeafShift == 0;

    // ---- Navigation ---------------------------------------------------------------------------------------------

    /// <summary>The next range by address, or <see cref="Nil"/> after the anchor.</summary>
    public int Next(int n)
    {
        int leaf = n >> LeafShift;
        return (n & SlotMask) + 1 < _leaves[leaf].Count ? n + 1 : _leaves[leaf].Next << LeafShift;
    }

    /// <summary>The previous range by address, or <see cref="Nil"/> before the lowest.</summary>
    public int Prev(int n)
    {
        if ((n & SlotMask) != 0)
            return n - 1;
        int prev = _leaves[n >> LeafShift].Prev;
        return prev == Nil ? Nil : (prev << LeafShift) + _leaves[prev].Count - 1;
    }

    /// <summary>The lowest range (the anchor when the tree is otherwise empty).</summary>
    public int First() => LeftmostLeaf(_root) << LeafShift;

    private int LeftmostLeaf(int x)
    {
        while (_leaves[x].Left != Nil)
            x = _leaves[x].Left;
        return x;
    }

    /// <summary>
    /// Levels on the longest path from the root down to a range: the red-black tree's height in leaves, plus one for
    /// the leaf's own search (the perf suite reports it).
    /// </summary>
    public int Height() => SubtreeHeight(_root) + 1;

    /// <summary>Levels from the root down to range <paramref name="n"/>, counted as <see cref="Height"/> counts them; 0 for nil.</summary>
    public int Depth(int n)
    {
        if (n == Nil)
            return 0;
        int depth = 1;
        for (int x = n >> LeafShift; x != Nil; x = Parent(x))
            depth++;
        return depth;
    }

    private int SubtreeHeight(int x) =>
        x == Nil ? 0 : 1 + Math.Max(SubtreeHeight(_leaves[x].Left), SubtreeHeight(_leaves[x].Right));

    /// <summary>Copies the ranges, anchor excluded, in address order.</summary>
    public IovaRange[] ToArray()
    {
        var result = new IovaRange[Count];
        int i = 0;
        for (int n = First(); !IsAnchor(n); n = Next(n))
            result[i++] = Range(n);
        return result;
    }

    // ---- Leaf pool and links ------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Parent(int x) => _leaves[x].ParentAndColor & int.MaxValue;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetParent(int x, int parent) =>
        _leaves[x].ParentAndColor = (_leaves[x].ParentAndColor & int.MinValue) | parent;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsRed(int x) => _leaves[x].ParentAndColor < 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetRed(int x) => _leaves[x].ParentAndColor |= int.MinValue;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetBlack(int x) => _leaves[x].ParentAndColor &= int.MaxValue;

    // A cleared leaf, not yet linked. May grow the arrays: callers take refs into them only afterwards.
    private int NewLeaf()
    {
        int x;
        if (_freeLeaf != Nil)
        {
            x = _freeLeaf;
            _freeLeaf = _leaves[x].Next;
        }
        else
        {
            if (_highWater == _leaves.Length)
            {
                int leaves = checked(_leaves.Length * 2);
                Array.Resize(ref _leaves, leaves);
                Array.Resize(ref _lo, checked(leaves * LeafCapacity));
                Array.Resize(ref _hi, leaves * LeafCapacity);
                Array.Resize(ref _looseLeafMaxGap, leaves);
            }

            x = _highWater++;
        }

        _leaves[x] = default;
        _looseLeafMaxGap[x] = false;
        return x;
    }

    // Count 0 marks it free, so that IsAt fails for every handle into it.
    private void FreeLeaf(int x)
    {
        _leaves[x] = default;
        _leaves[x].Next = _freeLeaf;
        _freeLeaf = x;
    }
}
