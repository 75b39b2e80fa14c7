using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace FastIova.Tree;

// Mutation: insert, remove and extend, with the red-black fix-ups and the Gap/MaxGap upkeep they need.
internal sealed partial class IovaTree
{
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

    // ---- Red-black machinery ------------------------------------------------------------------------------------

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

        // Up to lastChanged every node is recomputed: the walk must reach lastChanged's own change, whatever stays below.
        if (lastChanged != Nil)
        {
            while (n != lastChanged && n != Nil)
            {
                ref TreeNode node = ref nodes[n];
                node.MaxGap = Math.Max(node.Gap, Math.Max(nodes[node.Left].MaxGap, nodes[node.Right].MaxGap));
                n = node.ParentAndColor & int.MaxValue;
            }
        }

        while (n != Nil)
        {
            ref TreeNode node = ref nodes[n];
            ulong max = Math.Max(node.Gap, Math.Max(nodes[node.Left].MaxGap, nodes[node.Right].MaxGap));
            if (node.MaxGap == max)
                return;
            node.MaxGap = max;
            n = node.ParentAndColor & int.MaxValue;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
}
