using System.Runtime.CompilerServices;

namespace FastIova.Tree;

// The red-black tree of leaves: linking a new leaf, unlinking an empty or merged one, the fix-ups, and the MaxGap
// upkeep they need. Which ranges a leaf holds is IovaTree.Leaves.cs's business.
internal sealed partial class IovaTree
{
    /// <summary>
    /// Links leaf <paramref name="x"/> (its ranges, <c>Floor</c> and <c>LeafMaxGap</c> set) as the in-order predecessor
    /// of leaf <paramref name="above"/>, whose own <c>LeafMaxGap</c> the caller has already brought up to date.
    /// </summary>
    private void LinkLeafBelow(int above, int x)
    {
        int parent = _leaves[above].Left;
        if (parent == Nil)
        {
            parent = above;
            _leaves[above].Left = x;
        }
        else
        {
            while (_leaves[parent].Right != Nil)
                parent = _leaves[parent].Right;
            _leaves[parent].Right = x;
        }

        ref TreeLeaf leaf = ref _leaves[x];
        leaf.ParentAndColor = parent | int.MinValue; // new leaves are red
        int prev = _leaves[above].Prev;
        leaf.Prev = prev;
        leaf.Next = above;
        _leaves[above].Prev = x;
        if (prev != Nil)
            _leaves[prev].Next = x;

        LeafCount++;
        UpdateMaxGapUpward(x, above); // `above` is an ancestor of x
        InsertFixup(x);
    }

    /// <summary>
    /// Unlinks leaf <paramref name="z"/> (emptied, or merged into a neighbour) and frees it. <paramref name="changed"/>
    /// is the neighbour whose <c>Floor</c> or <c>LeafMaxGap</c> the caller changed for it.
    /// </summary>
    private void UnlinkLeaf(int z, int changed)
    {
        int prev = _leaves[z].Prev, next = _leaves[z].Next;
        if (prev != Nil)
            _leaves[prev].Next = next;
        if (next != Nil)
            _leaves[next].Prev = prev;
        else
            _lastLeaf = prev;

        int y = z, x;
        bool removedBlack = !IsRed(y);
        if (_leaves[z].Left == Nil)
        {
            x = _leaves[z].Right;
            Transplant(z, x);
        }
        else if (_leaves[z].Right == Nil)
        {
            x = _leaves[z].Left;
            Transplant(z, x);
        }
        else
        {
            y = next; // z has two children: its successor is the right subtree's minimum
            removedBlack = !IsRed(y);
            x = _leaves[y].Right;
            if (Parent(y) == z)
            {
                SetParent(x, y);
            }
            else
            {
                Transplant(y, x);
                _leaves[y].Right = _leaves[z].Right;
                SetParent(_leaves[y].Right, y);
            }

            Transplant(z, y);
            _leaves[y].Left = _leaves[z].Left;
            SetParent(_leaves[y].Left, y);
            _leaves[y].ParentAndColor = (_leaves[y].ParentAndColor & int.MaxValue) | (_leaves[z].ParentAndColor & int.MinValue);
        }

        // MaxGap must be exact before the fix-up, whose rotations only recompute the two leaves they move. Two paths
        // changed: the neighbour's, and the splice's under x's parent. A node on the neighbour's path only has no child
        // on the splice's, so walking the neighbour's first and the splice's last leaves every node exact. Unlinking is
        // rare (one operation in about a leaf's capacity), so both walks go to the root.
        UpdateMaxGapToRoot(changed);
        UpdateMaxGapToRoot(Parent(x));
        if (removedBlack)
            DeleteFixup(x);
        _leaves[Nil].ParentAndColor = 0;

        LeafCount--;
        FreeLeaf(z);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Recompute(int x)
    {
        ref TreeLeaf leaf = ref _leaves[x];
        leaf.MaxGap = Math.Max(leaf.LeafMaxGap, Math.Max(_leaves[leaf.Left].MaxGap, _leaves[leaf.Right].MaxGap));
    }

    private void UpdateMaxGapToRoot(int x)
    {
        for (; x != Nil; x = Parent(x))
            Recompute(x);
    }

    /// <summary>
    /// Recomputes <c>MaxGap</c> from leaf <paramref name="x"/> towards the root. Every change lies on this path at or
    /// below <paramref name="lastChanged"/>; above it, a leaf whose value did not change leaves its ancestors unchanged too.
    /// </summary>
    private void UpdateMaxGapUpward(int x, int lastChanged)
    {
        var leaves = _leaves;

        // Up to lastChanged every leaf is recomputed: the walk must reach lastChanged's own change, whatever stays below.
        while (x != lastChanged && x != Nil)
        {
            ref TreeLeaf leaf = ref leaves[x];
            leaf.MaxGap = Math.Max(leaf.LeafMaxGap, Math.Max(leaves[leaf.Left].MaxGap, leaves[leaf.Right].MaxGap));
            x = leaf.ParentAndColor & int.MaxValue;
        }

        while (x != Nil)
        {
            ref TreeLeaf leaf = ref leaves[x];
            ulong max = Math.Max(leaf.LeafMaxGap, Math.Max(leaves[leaf.Left].MaxGap, leaves[leaf.Right].MaxGap));
            if (leaf.MaxGap == max)
                return;
            leaf.MaxGap = max;
            x = leaf.ParentAndColor & int.MaxValue;
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
    private ref int Child(int x, int side) => ref side == 0 ? ref _leaves[x].Left : ref _leaves[x].Right;

    // Links `newChild` where `oldChild` hung under `parent` (the root when `parent` is nil).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReplaceChild(int parent, int oldChild, int newChild)
    {
        if (parent == Nil)
            _root = newChild;
        else
            Child(parent, oldChild == _leaves[parent].Left ? 0 : 1) = newChild;
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
            int side = p == _leaves[g].Left ? 0 : 1; // the side of g that p hangs on
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
            int side = x == _leaves[p].Left ? 0 : 1; // the side of p that x hangs on
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

            _leaves[w].ParentAndColor = (_leaves[w].ParentAndColor & int.MaxValue) | (_leaves[p].ParentAndColor & int.MinValue);
            SetBlack(p);
            SetBlack(Child(w, 1 - side));
            Rotate(p, side);
            x = _root;
        }

        SetBlack(x);
    }
}
