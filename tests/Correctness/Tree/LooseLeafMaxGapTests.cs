using System.Runtime.CompilerServices;
using FastIova.Tree;
using Xunit;

namespace FastIova.Tests.Correctness.Tree;

/// <summary>
/// An insertion that cuts its leaf's largest gap leaves the old value standing as a loose bound; a search that the
/// bound leads to scan the leaf for nothing must rescan it, so that the same bound cannot mislead the next search too.
/// Both searches that read a leaf's value are covered: the descent (<c>FindHighest</c>) and the first pass's look at
/// the leaf below (<c>FindHighestBelow</c>). The answers themselves are checked against a model in
/// <see cref="IovaTreeModelTests"/>; here, that the bound is loose after the cut, exact after the search, and the
/// invariants hold throughout.
/// </summary>
public sealed class LooseLeafMaxGapTests
{
    private const ulong NoAlignment = ulong.MaxValue;

    [Fact]
    public void DescentMisledByALooseBound_RescansTheLeaf()
    {
        var tree = new IovaTree();
        ulong top = IovaTree.AnchorPfn - 1;
        int cut = tree.InsertBelow(tree.Anchor, top - 9, top); // the top of the one leaf's one gap, [0, AnchorPfn - 1]
        Assert.True(IsLoose(tree, cut));
        tree.CheckInvariants();

        // Only the whole old gap would hold this: the bound admits it, the leaf does not.
        Assert.Equal(IovaTree.NotFound, tree.FindHighest(0, top, top - 8, NoAlignment, out _));
        Assert.False(IsLoose(tree, cut));
        tree.CheckInvariants();
    }

    [Fact]
    public void LeafBelowMisledByALooseBound_IsRescanned()
    {
        // Ranges of one pfn every 10, from the top down, until a leaf starts below the anchor's full one: that leaf
        // holds one range, whose gap reaches down to pfn 0.
        var tree = new IovaTree();
        int above = tree.Anchor;
        ulong lowest = 0;
        for (ulong i = 1; tree.LeafCount == 1; i++)
        {
            lowest = 1_000_000 - 10 * i;
            above = tree.InsertBelow(above, lowest, lowest);
        }

        int upperFirst = tree.Next(tree.FindContaining(lowest));
        Assert.False(IsLoose(tree, tree.FindContaining(lowest)));
        int cut = tree.InsertBelow(tree.FindContaining(lowest), lowest - 5, lowest - 5); // the gap is now [0, lowest - 6]
        Assert.True(IsLoose(tree, cut));
        tree.CheckInvariants();

        // From the upper leaf's first range: its own gap (9 pfns) is too small, the lower leaf's bound admits the size.
        upperFirst = tree.FindContaining(tree.Lo(upperFirst));
        Assert.Equal(IovaTree.NotFound, tree.FindHighestBelow(upperFirst, 0, lowest - 4, NoAlignment, out _));
        Assert.False(IsLoose(tree, cut));
        tree.CheckInvariants();
    }

    // Whether the value of the leaf holding range handle n is a loose bound.
    private static bool IsLoose(IovaTree tree, int n) => LooseFlags(tree)[n / IovaTree.LeafCapacity];

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_looseLeafMaxGap")]
    private static extern ref bool[] LooseFlags(IovaTree tree);
}
