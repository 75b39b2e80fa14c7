using Xunit;

namespace FastIova.Tests.Correctness.Domain;

/// <summary>
/// The tree shape the perf suite reports beside search times (<c>perf retry</c>): levels of leaves, plus one for the
/// search inside a leaf.
/// </summary>
public sealed class TreeShapeTests
{
    [Fact]
    public void EmptyDomain_HoldsOnlyTheAnchor()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        Assert.Equal((2, 2), domain.TreeShapeAt(ulong.MaxValue));
        Assert.Equal((2, 0), domain.TreeShapeAt(5));
    }

    [Fact]
    public void OneRange_SharesTheAnchorsLeaf()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        Assert.Equal((2, 2), domain.TreeShapeAt(ulong.MaxValue));
        Assert.Equal((2, 2), domain.TreeShapeAt(95));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(5_000)]
    public void TopDownAllocation_StaysWithinTheRedBlackBound(int ranges)
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        for (int i = 0; i < ranges; i++)
            domain.Allocate(1, 1UL << 32);

        // Top-down allocation fills its leaves: n / capacity of them, give or take the anchor's. A red-black tree of
        // L leaves has ceil(log2(L + 1)) <= height <= 2 log2(L + 1), and the leaf's own search adds a level.
        double fewest = Math.Ceiling((ranges + 1.0) / FastIova.Tree.IovaTree.LeafCapacity), most = fewest + 1;
        (int height, int depth) = domain.TreeShapeAt((1UL << 32) - (ulong)ranges + 1);
        Assert.InRange(height - 1, (int)Math.Ceiling(Math.Log2(fewest + 1)), (int)(2 * Math.Log2(most + 1)));
        Assert.InRange(depth, 2, height);
    }
}
