using Xunit;

namespace FastIova.Tests.Correctness.Domain;

/// <summary>find_iova and free_iova take any pfn inside a range, not only its first.</summary>
public sealed class FindAndFreeBehaviourTests
{
    [Theory]
    [InlineData(90UL)]
    [InlineData(95UL)]
    [InlineData(99UL)]
    public void Find_ReturnsTheWholeRange_ForAnyPfnInside(ulong pfn)
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        Assert.Equal(new IovaRange(90, 99), domain.Find(pfn));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(89UL)]
    [InlineData(100UL)]
    public void Find_ReturnsNull_ForFreePfn(ulong pfn)
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        Assert.Null(domain.Find(pfn));
    }

    [Theory]
    [InlineData(90UL)]
    [InlineData(94UL)]
    [InlineData(99UL)]
    public void Free_InteriorPfn_FreesTheWholeRange(ulong pfn)
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        domain.Allocate(10, 99); // [80, 89] stays
        Assert.True(domain.Free(pfn));
        Assert.Null(domain.Find(90));
        Assert.Null(domain.Find(99));
        Assert.Equal([new IovaRange(80, 89)], domain.GetRanges());
    }

    [Fact]
    public void Free_ReturnsFalseAndChangesNothing_ForFreePfn()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        Assert.False(domain.Free(50));
        Assert.False(domain.Free(100));
        Assert.Equal([new IovaRange(90, 99)], domain.GetRanges());
        Assert.Equal(new IovaRange(80, 89), domain.Allocate(10, 99));
    }

    [Fact]
    public void Free_ReturnsFalse_TheSecondTime()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        Assert.True(domain.Free(95));
        Assert.False(domain.Free(95));
        Assert.Equal(0, domain.Count);
    }

    [Fact]
    public void GetRanges_ListsRangesInAddressOrder()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99);
        domain.Reserve(5, 9);
        domain.Allocate(10, 199); // below the cached node [90, 99], although [100, 199] is free
        Assert.Equal([new IovaRange(5, 9), new IovaRange(80, 89), new IovaRange(90, 99)], domain.GetRanges());
        Assert.Equal(3, domain.Count);
    }
}
