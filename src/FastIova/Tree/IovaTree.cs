using System.Diagnostics;
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
internal sealed class IovaTree
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
    public IovaRange Range(int n) => new(_nodes[n].Lo, _nodes[n].Hi);

    // ---- Queries -------------------------------------------------------------------------------------------------

    /// <summary>The node whose range contains <paramref name="pfn"/>, or <see cref="Nil"/>.</summary>
    public int FindContaining(ulong pfn)
    {
        var nodes = _nodes;
        int x = _root;
        while (x != Nil)
        {
            ref TreeNode node = ref nodes[x];
            if (pfn < node.Lo)
                x = node.Left;
            else if (pfn > node.Hi)
                x = node.Right;
            else
                return x;
        }

        return Nil;
    }

    /// <summary>The lowest node whose range ends at or above <paramref name="pfn"/> (the anchor at worst).</summary>
    public int FirstEndingAtOrAbove(ulong pfn)
    {
        int x = _root, candidate = Anchor;
        while (x != Nil)
        {
            if (_nodes[x].Hi >= pfn)
            {
                candidate = x;
                x = _nodes[x].Left;
            }
            else
            {
                x = _nodes[x].Right;
            }
        }

        return candidate;
    }

    /// <summary>The next node by address, or <see cref="Nil"/> after the anchor.</summary>
    public int Next(int n)
    {
        int r = _nodes[n].Right;
        if (r != Nil)
        {
            while (_nodes[r].Left != Nil)
                r = _nodes[r].Left;
            return r;
        }

        int p = Parent(n);
        while (p != Nil && n == _nodes[p].Right)
        {
            n = p;
            p = Parent(p);
        }

        return p;
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
    public int First()
    {
        int x = _root;
        while (_nodes[x].Left != Nil)
            x = _nodes[x].Left;
        return x;
    }

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

    // ---- Placement: the highest aligned block of `size` free pfns in a window ---------------------------------------

    /// <summary>
    /// The highest start <c>s</c>, a multiple of the alignment encoded in <paramref name="alignMask"/>, such that
    /// <c>[s, s + size - 1]</c> is free and lies in <c>[low, high]</c>; <see cref="NotFound"/> if there is none.
    /// </summary>
    /// <remarks>
    /// Gaps are disjoint and ordered, so the highest fitting block is the one in the highest gap that can hold it,
    /// which is exactly what the kernel's downward walk returns. Subtrees whose largest gap is below
    /// <paramref name="size"/>, or whose gaps all lie outside the window, are skipped, so an unaligned search visits
    /// O(log n) nodes. With alignment a gap of at least <c>size</c> pfns may still hold no aligned block, so the gap
    /// test is only necessary: the worst case visits every such misaligned gap above the answer, each for O(log n)
    /// (gaps of <c>size + align - 1</c> or more always fit, so only gaps shorter than that can mislead the search).
    /// </remarks>
    /// <param name="low">The window's lowest pfn.</param>
    /// <param name="high">The window's highest pfn.</param>
    /// <param name="size">Pfns wanted.</param>
    /// <param name="alignMask">The start is rounded down with it.</param>
    /// <param name="above">The node whose gap holds the block (its successor once inserted): the hint for
    /// <see cref="InsertBelow"/>.</param>
    public ulong FindHighest(ulong low, ulong high, ulong size, ulong alignMask, out int above)
    {
        above = Nil;
        if (low > high || high - low + 1 < size || _nodes[_root].MaxGap < size)
            return NotFound;
        above = FindHighestGap(_root, low, high, size, alignMask);
        return above == Nil ? NotFound : HighestStartInGap(above, high, size, alignMask);
    }

    // The block's start in the gap below x, capped by the window's top; FindHighestGap has checked that it fits.
    private ulong HighestStartInGap(int x, ulong high, ulong size, ulong alignMask) =>
        (Math.Min(_nodes[x].Lo - 1, high) - size + 1) & alignMask;

    // The node whose gap holds the highest fitting block, or Nil. Precondition: x's subtree holds a gap of at least
    // `size` (MaxGap checked by the caller).
    private int FindHighestGap(int x, ulong low, ulong high, ulong size, ulong alignMask)
    {
        while (true)
        {
            ref TreeNode node = ref _nodes[x];

            // Read both children's MaxGap before deciding: the two loads are independent, so with a tree larger than
            // the caches their misses overlap instead of costing one after the other.
            int right = node.Right, left = node.Left;
            ulong rightMax = _nodes[right].MaxGap;
            ulong leftMax = _nodes[left].MaxGap;

            // Gaps in the right subtree start above node.Hi: they matter only if node.Hi is below the window's top.
            if (node.Hi < high && rightMax >= size)
            {
                int found = FindHighestGap(right, low, high, size, alignMask);
                if (found != Nil)
                    return found;
            }

            ulong gapBottom = node.Lo - node.Gap;
            if (node.Gap >= size && node.Lo > low)
            {
                ulong top = Math.Min(node.Lo - 1, high);
                ulong bottom = Math.Max(gapBottom, low);
                if (top >= bottom && top - bottom + 1 >= size && ((top - size + 1) & alignMask) >= bottom)
                    return x; // HighestStartInGap gives the same start again
            }

            // Gaps in the left subtree all end below this node's gap: none can reach the window if that gap starts at
            // or below the window's bottom.
            if (gapBottom <= low || leftMax < size)
                return Nil;
            x = left;
        }
    }

    /// <summary>
    /// The kernel's walk (<c>__alloc_and_insert_iova_range</c>'s loop): from node <paramref name="from"/> downwards,
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
            high = Math.Min(high, _nodes[current].Lo);
            start = unchecked(high - size) & alignMask;
            current = Prev(current);
        }
        while (current != Nil && start <= _nodes[current].Hi && start >= low);

        return high < size || start < low ? NotFound : start;
    }

    /// <summary>
    /// The kernel's <c>iova_find_limit</c>: a node at or straddling <paramref name="limitExclusive"/> from which a
    /// downward walk covers every gap below it.
    /// </summary>
    public int FindLimit(ulong limitExclusive)
    {
        int node = _root;
        while (_nodes[node].Hi < limitExclusive)
            node = _nodes[node].Right;

        while (true)
        {
            while (_nodes[node].Left != Nil && _nodes[_nodes[node].Left].Lo >= limitExclusive)
                node = _nodes[node].Left;

            if (_nodes[node].Left == Nil)
                return node;

            int next = _nodes[node].Left;
            bool moved = false;
            while (_nodes[next].Right != Nil)
            {
                next = _nodes[next].Right;
                if (_nodes[next].Lo >= limitExclusive)
                {
                    node = next;
                    moved = true;
                    break;
                }
            }

            if (!moved)
                return node;
        }
    }

    // ---- Mutation ------------------------------------------------------------------------------------------------

    /// <summary>Inserts <c>[lo, hi]</c>, which must not overlap any range; returns its node.</summary>
    public int Insert(ulong lo, ulong hi)
    {
        int n = NewNode(lo, hi);
        int parent = Nil, x = _root, pred = Nil, succ = Nil;
        bool left = false;
        while (x != Nil)
        {
            parent = x;
            if (lo < _nodes[x].Lo)
            {
                succ = x;
                left = true;
                x = _nodes[x].Left;
            }
            else
            {
                pred = x;
                left = false;
                x = _nodes[x].Right;
            }
        }

        Debug.Assert(pred == Nil || _nodes[pred].Hi < lo, "overlaps its predecessor");
        Debug.Assert(succ == Nil || hi < _nodes[succ].Lo, "overlaps its successor");

        _nodes[n].ParentAndColor = parent | int.MinValue; // new nodes are red
        if (parent == Nil)
            _root = n;
        else if (left)
            _nodes[parent].Left = n;
        else
            _nodes[parent].Right = n;

        _nodes[n].Gap = lo - (pred == Nil ? 0 : _nodes[pred].Hi + 1);
        if (succ != Nil)
            _nodes[succ].Gap = _nodes[succ].Lo - (hi + 1);
        UpdateMaxGapUpward(n, succ); // succ is an ancestor of n (the last node the descent went left at)
        InsertFixup(n);
        _nodeCount++;
        return n;
    }

    /// <summary>
    /// <see cref="Insert"/> of a range that lies in the gap of node <paramref name="above"/> (as
    /// <see cref="FindHighest(ulong, ulong, ulong, ulong, out int)"/> reports it): the new node becomes that node's
    /// in-order predecessor without a descent from the root.
    /// </summary>
    public int InsertBelow(int above, ulong lo, ulong hi)
    {
        // Read before NewNode, which may grow the node array.
        ulong gapBottom = _nodes[above].Lo - _nodes[above].Gap; // the predecessor's Hi + 1, or 0
        Debug.Assert(gapBottom <= lo && hi < _nodes[above].Lo, "not in the gap below the hinted node");

        int n = NewNode(lo, hi);
        int parent = _nodes[above].Left;
        if (parent == Nil)
        {
            parent = above;
            _nodes[above].Left = n;
        }
        else
        {
            while (_nodes[parent].Right != Nil)
                parent = _nodes[parent].Right;
            _nodes[parent].Right = n;
        }

        _nodes[n].ParentAndColor = parent | int.MinValue; // new nodes are red
        _nodes[n].Gap = lo - gapBottom;
        _nodes[above].Gap = _nodes[above].Lo - (hi + 1);
        UpdateMaxGapUpward(n, above); // `above` is an ancestor of n
        InsertFixup(n);
        _nodeCount++;
        return n;
    }

    /// <summary>
    /// Removes node <paramref name="z"/> (never the anchor), whose in-order successor the caller has already found
    /// (<see cref="Next"/>); its slot returns to the free list.
    /// </summary>
    public void Remove(int z, int succ)
    {
        Debug.Assert(z != Anchor && z != Nil && succ == Next(z));
        ulong succGap = _nodes[succ].Lo - (_nodes[z].Lo - _nodes[z].Gap);

        int y = z, x;
        bool removedBlack = !IsRed(y);
        bool succBelowSplice = _nodes[z].Left == Nil && _nodes[z].Right != Nil; // else succ is the splice point's ancestor
        if (_nodes[z].Left == Nil)
        {
            x = _nodes[z].Right;
            Transplant(z, x);
        }
        else if (_nodes[z].Right == Nil)
        {
            x = _nodes[z].Left;
            Transplant(z, x);
        }
        else
        {
            y = succ; // z has two children: its successor is the right subtree's minimum
            removedBlack = !IsRed(y);
            x = _nodes[y].Right;
            if (Parent(y) == z)
            {
                SetParent(x, y);
            }
            else
            {
                Transplant(y, x);
                _nodes[y].Right = _nodes[z].Right;
                SetParent(_nodes[y].Right, y);
            }

            Transplant(z, y);
            _nodes[y].Left = _nodes[z].Left;
            SetParent(_nodes[y].Left, y);
            _nodes[y].ParentAndColor = (_nodes[y].ParentAndColor & int.MaxValue) | (_nodes[z].ParentAndColor & int.MinValue);
        }

        // Augmented fields must be exact before the fix-up: its rotations only recompute the two nodes they move. The
        // two changes (succ's gap, the splice under x's parent) lie on one root path, so one walk from the lower covers both.
        _nodes[succ].Gap = succGap;
        int splice = Parent(x);
        if (succBelowSplice)
            UpdateMaxGapUpward(succ, splice);
        else
            UpdateMaxGapUpward(splice, succ);
        if (removedBlack)
            DeleteFixup(x);
        _nodes[Nil].ParentAndColor = 0;

        _nodes[z] = default;
        _nodes[z].Left = _freeHead;
        _freeHead = z;
        _nodeCount--;
    }

    /// <summary>Moves node <paramref name="n"/>'s start down to <paramref name="newLo"/>, into the free gap below it.</summary>
    public void ExtendDown(int n, ulong newLo)
    {
        Debug.Assert(newLo <= _nodes[n].Lo && _nodes[n].Lo - newLo <= _nodes[n].Gap);
        _nodes[n].Gap -= _nodes[n].Lo - newLo;
        _nodes[n].Lo = newLo;
        UpdateMaxGapUpward(n, n);
    }

    // ---- Red-black machinery -------------------------------------------------------------------------------------

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Recompute(int n)
    {
        ref TreeNode node = ref _nodes[n];
        node.MaxGap = Math.Max(node.Gap, Math.Max(_nodes[node.Left].MaxGap, _nodes[node.Right].MaxGap));
    }

    /// <summary>
    /// Recomputes <c>MaxGap</c> from <paramref name="n"/> towards the root. Every change lies on this path at or below
    /// <paramref name="lastChanged"/>; above it, a node whose value did not change leaves its ancestors unchanged too.
    /// </summary>
    private void UpdateMaxGapUpward(int n, int lastChanged)
    {
        var nodes = _nodes;
        bool passed = lastChanged == Nil;
        while (n != Nil)
        {
            ref TreeNode node = ref nodes[n];
            ulong max = Math.Max(node.Gap, Math.Max(nodes[node.Left].MaxGap, nodes[node.Right].MaxGap));
            passed |= n == lastChanged;
            if (passed && node.MaxGap == max)
                return;
            node.MaxGap = max;
            n = node.ParentAndColor & int.MaxValue;
        }
    }

    private void Transplant(int u, int v)
    {
        int p = Parent(u);
        ReplaceChild(p, u, v);
        SetParent(v, p); // also on nil: the delete fix-up starts from nil's parent
    }

    // The textbook fix-ups come in mirrored halves; here each is written once for a side, 0 (left) or 1 (right), and
    // its mirror 1 - side.
    private ref int Child(int n, int side) => ref side == 0 ? ref _nodes[n].Left : ref _nodes[n].Right;

    // Links `newChild` where `oldChild` hung under `parent` (the root when `parent` is nil).
    private void ReplaceChild(int parent, int oldChild, int newChild)
    {
        if (parent == Nil)
            _root = newChild;
        else
            Child(parent, oldChild == _nodes[parent].Left ? 0 : 1) = newChild;
    }

    // Rotates x down towards `side`: Rotate(x, 0) is the left rotation, Rotate(x, 1) the right one.
    private void Rotate(int x, int side)
    {
        int y = Child(x, 1 - side);
        int inner = Child(y, side);
        Child(x, 1 - side) = inner;
        if (inner != Nil)
            SetParent(inner, x);
        int p = Parent(x);
        SetParent(y, p);
        ReplaceChild(p, x, y);
        Child(y, side) = x;
        SetParent(x, y);
        Recompute(x);
        Recompute(y);
    }

    private void InsertFixup(int z)
    {
        while (IsRed(Parent(z)))
        {
            int p = Parent(z), g = Parent(p);
            int side = p == _nodes[g].Left ? 0 : 1; // the side of g that p hangs on
            int uncle = Child(g, 1 - side);
            if (IsRed(uncle))
            {
                SetBlack(p);
                SetBlack(uncle);
                SetRed(g);
                z = g;
                continue;
            }

            if (z == Child(p, 1 - side))
            {
                z = p;
                Rotate(z, side);
                p = Parent(z);
            }

            SetBlack(p);
            SetRed(g);
            Rotate(g, 1 - side);
        }

        SetBlack(_root);
    }

    private void DeleteFixup(int x)
    {
        while (x != _root && !IsRed(x))
        {
            int p = Parent(x);
            int side = x == _nodes[p].Left ? 0 : 1; // the side of p that x hangs on
            int w = Child(p, 1 - side);
            if (IsRed(w))
            {
                SetBlack(w);
                SetRed(p);
                Rotate(p, side);
                w = Child(p, 1 - side);
            }

            if (!IsRed(Child(w, side)) && !IsRed(Child(w, 1 - side)))
            {
                SetRed(w);
                x = p;
                continue;
            }

            if (!IsRed(Child(w, 1 - side)))
            {
                SetBlack(Child(w, side));
                SetRed(w);
                Rotate(w, 1 - side);
                w = Child(p, 1 - side);
            }

            _nodes[w].ParentAndColor = (_nodes[w].ParentAndColor & int.MaxValue) | (_nodes[p].ParentAndColor & int.MinValue);
            SetBlack(p);
            SetBlack(Child(w, 1 - side));
            Rotate(p, side);
            x = _root;
        }

        SetBlack(x);
    }

    // ---- Validation ----------------------------------------------------------------------------------------------

    /// <summary>Checks every invariant of the tree; throws <see cref="InvalidOperationException"/> naming the first broken one.</summary>
    public void CheckInvariants()
    {
        if (_nodes[Nil].MaxGap != 0 || _nodes[Nil].Gap != 0 || IsRed(Nil))
            throw Broken("the nil sentinel must be black with no gap");
        if (IsRed(_root))
            throw Broken("the root must be black");
        if (Parent(_root) != Nil)
            throw Broken("the root must have no parent");

        int visited = 0;
        ulong previousHiPlusOne = 0;
        bool first = true;
        CheckSubtree(_root, ref visited, ref previousHiPlusOne, ref first);
        if (visited != _nodeCount)
            throw Broken($"node count {_nodeCount} but {visited} nodes reachable");

        int last = _root;
        while (_nodes[last].Right != Nil)
            last = _nodes[last].Right;
        if (last != Anchor || _nodes[Anchor].Lo != AnchorPfn || _nodes[Anchor].Hi != AnchorPfn)
            throw Broken("the anchor must be the last node, at pfn 2^64-1");
    }

    private int CheckSubtree(int n, ref int visited, ref ulong previousHiPlusOne, ref bool first)
    {
        if (n == Nil)
            return 1;
        ref TreeNode node = ref _nodes[n];
        if (node.Left != Nil && Parent(node.Left) != n || node.Right != Nil && Parent(node.Right) != n)
            throw Broken($"node {n} [{node.Lo}, {node.Hi}]: a child's parent link is wrong");
        if (IsRed(n) && (IsRed(node.Left) || IsRed(node.Right)))
            throw Broken($"node {n} [{node.Lo}, {node.Hi}]: red node with a red child");

        int leftBlack = CheckSubtree(node.Left, ref visited, ref previousHiPlusOne, ref first);

        if (node.Lo > node.Hi)
            throw Broken($"node {n}: lo {node.Lo} above hi {node.Hi}");
        if (!first && node.Lo < previousHiPlusOne)
            throw Broken($"node {n} [{node.Lo}, {node.Hi}] overlaps or precedes its predecessor (ends at {previousHiPlusOne - 1})");
        ulong expectedGap = node.Lo - previousHiPlusOne;
        if (node.Gap != expectedGap)
            throw Broken($"node {n} [{node.Lo}, {node.Hi}]: gap {node.Gap}, expected {expectedGap}");
        first = false;
        previousHiPlusOne = node.Hi + 1; // wraps to 0 only after the anchor, which is last
        visited++;

        int rightBlack = CheckSubtree(node.Right, ref visited, ref previousHiPlusOne, ref first);
        if (leftBlack != rightBlack)
            throw Broken($"node {n} [{node.Lo}, {node.Hi}]: black heights differ ({leftBlack} vs {rightBlack})");

        ulong expectedMax = Math.Max(node.Gap, Math.Max(_nodes[node.Left].MaxGap, _nodes[node.Right].MaxGap));
        if (node.MaxGap != expectedMax)
            throw Broken($"node {n} [{node.Lo}, {node.Hi}]: max gap {node.MaxGap}, expected {expectedMax}");
        return leftBlack + (IsRed(n) ? 0 : 1);
    }

    private static InvalidOperationException Broken(string what) => new($"IovaTree invariant broken: {what}.");
}
