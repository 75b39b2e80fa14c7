namespace FastIova.Tree;

// Validation: every invariant of the class remarks, checked by a full walk.
internal sealed partial class IovaTree
{
    /// <summary>Checks every invariant of the tree; throws <see cref="InvalidOperationException"/> naming the first broken one.</summary>
    public void CheckInvariants()
    {
        if (_leaves[Nil].MaxGap != 0 || _leaves[Nil].LeafMaxGap != 0 || IsRed(Nil))
            throw Broken("the nil leaf must be black with no gap");
        if (IsRed(_root))
            throw Broken("the root must be black");
        if (Parent(_root) != Nil)
            throw Broken("the root must have no parent");

        var walk = new Walk();
        CheckSubtree(_root, ref walk);
        if (walk.Ranges != _count)
            throw Broken($"range count {_count} but {walk.Ranges} ranges reachable");
        if (walk.Leaves != LeafCount)
            throw Broken($"leaf count {LeafCount} but {walk.Leaves} leaves reachable");
        if (walk.Last != _lastLeaf || _leaves[walk.Last].Next != Nil)
            throw Broken($"the last leaf is {walk.Last}, recorded {_lastLeaf}");
        int anchor = Anchor;
        if (_lo[anchor] != AnchorPfn || _hi[anchor] != AnchorPfn)
            throw Broken("the anchor must be the last range, at pfn 2^64-1");
    }

    private struct Walk
    {
        public int Ranges;
        public int Leaves;
        public int Last; // the previous leaf in order, Nil before the first
        public ulong PreviousHiPlusOne;
    }

    private int CheckSubtree(int x, ref Walk walk)
    {
        if (x == Nil)
            return 1;
        ref TreeLeaf leaf = ref _leaves[x];
        if (leaf.Left != Nil && Parent(leaf.Left) != x || leaf.Right != Nil && Parent(leaf.Right) != x)
            throw Broken($"leaf {x}: a child's parent link is wrong");
        if (IsRed(x) && (IsRed(leaf.Left) || IsRed(leaf.Right)))
            throw Broken($"leaf {x}: red leaf with a red child");

        int leftBlack = CheckSubtree(leaf.Left, ref walk);
        CheckLeaf(x, ref walk);
        int rightBlack = CheckSubtree(leaf.Right, ref walk);
        if (leftBlack != rightBlack)
            throw Broken($"leaf {x}: black heights differ ({leftBlack} vs {rightBlack})");

        ulong expectedMax = Math.Max(leaf.LeafMaxGap, Math.Max(_leaves[leaf.Left].MaxGap, _leaves[leaf.Right].MaxGap));
        if (leaf.MaxGap != expectedMax)
            throw Broken($"leaf {x}: max gap {leaf.MaxGap}, expected {expectedMax}");
        return leftBlack + (IsRed(x) ? 0 : 1);
    }

    private void CheckLeaf(int x, ref Walk walk)
    {
        ref TreeLeaf leaf = ref _leaves[x];
        if (leaf.Count < 1 || leaf.Count > LeafCapacity)
            throw Broken($"leaf {x} holds {leaf.Count} ranges");
        if (leaf.Prev != walk.Last || (walk.Last != Nil && _leaves[walk.Last].Next != x))
            throw Broken($"leaf {x}: the leaf list disagrees with the tree's order");
        if (leaf.Floor != walk.PreviousHiPlusOne)
            throw Broken($"leaf {x}: floor {leaf.Floor}, expected {walk.PreviousHiPlusOne}");

        ulong maxGap = 0;
        for (int n = x << LeafShift, end = n + leaf.Count; n < end; n++)
        {
            if (_lo[n] > _hi[n])
                throw Broken($"range {n}: lo {_lo[n]} above hi {_hi[n]}");
            if (walk.Ranges > 0 && _lo[n] < walk.PreviousHiPlusOne)
                throw Broken($"range {n} [{_lo[n]}, {_hi[n]}] overlaps or precedes its predecessor (ends at {walk.PreviousHiPlusOne - 1})");
            maxGap = Math.Max(maxGap, _lo[n] - walk.PreviousHiPlusOne);
            walk.PreviousHiPlusOne = _hi[n] + 1; // wraps to 0 only after the anchor, which is last
            walk.Ranges++;
        }

        if (_looseLeafMaxGap[x] ? leaf.LeafMaxGap < maxGap : leaf.LeafMaxGap != maxGap)
            throw Broken($"leaf {x}: leaf max gap {leaf.LeafMaxGap}, expected {(_looseLeafMaxGap[x] ? "at least " : "")}{maxGap}");
        walk.Leaves++;
        walk.Last = x;
    }

    private static InvalidOperationException Broken(string what) => new($"IovaTree invariant broken: {what}.");
}
