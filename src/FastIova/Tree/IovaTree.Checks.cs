namespace FastIova.Tree;

// Validation: every invariant of the class remarks, checked by a full walk.
internal sealed partial class IovaTree
{
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
