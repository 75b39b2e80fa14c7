using Xunit;

namespace FastIova.Tests.Correctness.Domain;

/// <summary>The tree shape the perf suite reports beside search times (<c>perf retry</c>).</summary>
public sealed class TreeShapeTests
{
    [Fact]
    public void EmptyDomain_HoldsOnlyTheAnchor()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        Assert.Equal((1, 1), domain.TreeShapeAt(ulong.MaxValue));
        Assert.Equal((1, 0), domain.TreeShapeAt(5));
    }

    [Fact]
    public void OneRange_HangsBelowTheAnchor()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        Assert.Equal((2, 1), domain.TreeShapeAt(ulong.MaxValue));
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

        // n nodes (the ranges and the anchor): ceil(log2(n + 1)) <= height <= 2 log2(n + 1).
        int nodes = ranges + 1;
        (int height, int depth) = domain.TreeShapeAt((1UL << 32) - (ulong)ranges + 1);
        Assert.InRange(height, (int)Math.Ceiling(Math.Log2(nodes + 1)), (int)(2 * Math.Log2(nodes + 1)));
        Assert.InRange(depth, 1, height);
    }
}
