using System.Runtime.CompilerServices;

namespace FastIova.Tree;

/// <summary>
/// A red-black tree of disjoint inclusive pfn ranges, ordered by address, stored as structs in one array with int links
/// and a free list (nothing is allocated per range once the array has grown). Each node also keeps the free gap below
/// it and the largest such gap in its subtree, so that the highest block of a given size inside a window is found by a
/// pruned descent instead of the kernel's gap-by-gap walk. Not thread-safe: the domain's tree lock guards it.
/// </summary>
/// <remarks>
/// Invariants (checked by <see cref="CheckInvariants"/>): red-black properties; in-order ranges strictly increasing and
/// disjoint; <c>Gap</c> and <c>MaxGap</c> exact; the anchor, a one-pfn range at <see cref="AnchorPfn"/>, is always
/// present and always the last node, so every free pfn below it lies in some node's gap and every node but the
/// anchor has a successor.
/// </remarks>
internal sealed partial class IovaTree
{
    /// <summary>Index of the nil sentinel (always black, <c>MaxGap</c> 0).</summary>
    public const int Nil = 0;

    /// <summary>Returned by the searches when no block fits.</summary>
    public const ulong NotFound = ulong.MaxValue;

    /// <summary>The anchor's pfn, as the kernel's <c>IOVA_ANCHOR</c>.</summary>
    public const ulong AnchorPfn = ulong.MaxValue;

    private TreeNode[] _nodes;
    private int _root;
    private int _freeHead;
    private int _highWater = 1; // slot 0 is the nil sentinel
    private int _nodeCount;

    /// <summary>Creates a tree holding only the anchor.</summary>
    /// <param name="initialCapacity">Slots to reserve up front (grows by doubling).</param>
    public IovaTree(int initialCapacity = 64)
    {
        _nodes = new TreeNode[Math.Max(initialCapacity, 2)];
        Anchor = Insert(AnchorPfn, AnchorPfn);
    }

    /// <summary>The anchor node's index.</summary>
    public int Anchor { get; }

    /// <summary>Ranges in the tree, anchor excluded.</summary>
    public int Count => _nodeCount - 1;

    /// <summary>First pfn of node <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Lo(int n) => _nodes[n].Lo;

    /// <summary>Last pfn of node <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hi(int n) => _nodes[n].Hi;

    /// <summary>The lowest pfn of the free gap directly below node <paramref name="n"/>: its predecessor's end + 1, or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong GapBottom(int n) => _nodes[n].Lo - _nodes[n].Gap;

    /// <summary>The range of node <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IovaRange Range(int n) => new(_nodes[n].Lo, _nodes[n].Hi);

    // ---- Navigation ---------------------------------------------------------------------------------------------

    /// <summary>The next node by address, or <see cref="Nil"/> after the anchor.</summary>
    public int Next(int n)
    {
        int r = _nodes[n].Right;
        if (r != Nil)
            return Leftmost(r);

        int p = Parent(n);
        while (p != Nil && n == _nodes[p].Right)
        {
            n = p;
            p = Parent(p);
        }

        return p;
    }

    // The lowest node of the subtree rooted at n.
    private int Leftmost(int n)
    {
        while (_nodes[n].Left != Nil)
            n = _nodes[n].Left;
        return n;
    }

    /// <summary>The previous node by address, or <see cref="Nil"/> before the lowest.</summary>
    public int Prev(int n)
    {
        int l = _nodes[n].Left;
        if (l != Nil)
        {
            while (_nodes[l].Right != Nil)
                l = _nodes[l].Right;
            return l;
        }

        int p = Parent(n);
        while (p != Nil && n == _nodes[p].Left)
        {
            n = p;
            p = Parent(p);
        }

        return p;
    }

    /// <summary>The lowest node (the anchor when the tree is otherwise empty).</summary>
    public int First() => Leftmost(_root);

    /// <summary>Nodes on the longest path from the root down, both ends counted (the perf suite reports it).</summary>
    public int Height() => SubtreeHeight(_root);

    /// <summary>Nodes on the path from the root to <paramref name="n"/>, both ends counted (the root's depth is 1).</summary>
    public int Depth(int n)
    {
        int depth = 0;
        for (; n != Nil; n = Parent(n))
            depth++;
        return depth;
    }

    private int SubtreeHeight(int n) =>
        n == Nil ? 0 : 1 + Math.Max(SubtreeHeight(_nodes[n].Left), SubtreeHeight(_nodes[n].Right));

    /// <summary>Copies the ranges, anchor excluded, in address order.</summary>
    public IovaRange[] ToArray()
    {
        var result = new IovaRange[Count];
        int i = 0;
        for (int n = First(); n != Anchor; n = Next(n))
            result[i++] = Range(n);
        return result;
    }

    // ---- Node pool and links ------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Parent(int n) => _nodes[n].ParentAndColor & int.MaxValue;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetParent(int n, int parent) =>
        _nodes[n].ParentAndColor = (_nodes[n].ParentAndColor & int.MinValue) | parent;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsRed(int n) => _nodes[n].ParentAndColor < 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetRed(int n) => _nodes[n].ParentAndColor |= int.MinValue;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetBlack(int n) => _nodes[n].ParentAndColor &= int.MaxValue;

    private int NewNode(ulong lo, ulong hi)
    {
        int n;
        if (_freeHead != Nil)
        {
            n = _freeHead;
            _freeHead = _nodes[n].Left;
        }
        else
        {
            if (_highWater == _nodes.Length)
                Array.Resize(ref _nodes, checked(_nodes.Length * 2));
            n = _highWater++;
        }

        _nodes[n] = new TreeNode { Lo = lo, Hi = hi };
        return n;
    }
}
