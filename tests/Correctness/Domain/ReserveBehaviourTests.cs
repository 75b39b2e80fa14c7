using Xunit;

namespace FastIova.Tests.Correctness.Domain;

/// <summary>reserve_iova's merge: existing ranges are extended downwards in place, the request is cut above them.</summary>
public sealed class ReserveBehaviourTests
{
    [Fact]
    public void Reserve_InsertsNewRange_WhenNothingOverlaps()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        Assert.Equal(new IovaRange(10, 20), domain.Reserve(10, 20));
        Assert.Equal(new IovaRange(5, 5), domain.Reserve(5, 5));
        Assert.Equal([new IovaRange(5, 5), new IovaRange(10, 20)], domain.GetRanges());
    }

    [Fact]
    public void Reserve_ReturnsExistingRange_WhenRequestLiesInside()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99); // [90, 99]
        Assert.Equal(new IovaRange(90, 99), domain.Reserve(92, 95));
        Assert.Equal(new IovaRange(90, 99), domain.Reserve(90, 99));
        Assert.Equal(1, domain.Count);
    }

    [Fact]
    public void Reserve_ExtendsExistingRangeDownwards_WhenRequestStartsBelowIt()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99); // [90, 99]
        Assert.Equal(new IovaRange(80, 99), domain.Reserve(80, 95));
        Assert.Equal([new IovaRange(80, 99)], domain.GetRanges());
        Assert.Equal(new IovaRange(80, 99), domain.Find(85));
    }

    [Fact]
    public void Reserve_CutsRequestAboveExistingRange_AndInsertsTheRemainder()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99); // [90, 99]
        Assert.Equal(new IovaRange(100, 120), domain.Reserve(95, 120));
        Assert.Equal([new IovaRange(90, 99), new IovaRange(100, 120)], domain.GetRanges());
    }

    [Fact]
    public void Reserve_SpanningSeveralRanges_ExtendsEachAndInsertsTheRemainder()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Reserve(10, 20);
        domain.Reserve(30, 40);
        Assert.Equal(new IovaRange(41, 50), domain.Reserve(5, 50));
        Assert.Equal([new IovaRange(5, 20), new IovaRange(21, 40), new IovaRange(41, 50)], domain.GetRanges());
    }

    [Fact]
    public void Reserve_SpanningSeveralRanges_ReturnsTheRangeItEndsInside()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Reserve(10, 20);
        domain.Reserve(30, 40);
        Assert.Equal(new IovaRange(21, 40), domain.Reserve(5, 35));
        Assert.Equal([new IovaRange(5, 20), new IovaRange(21, 40)], domain.GetRanges());
    }

    [Fact]
    public void Reserve_ExtendingTheCachedNode_CapsTheNextFirstPassAtItsNewStart()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        Assert.Equal(990UL, domain.Allocate(10, 999).PfnLo); // cached32_node = [990, 999]
        Assert.Equal(new IovaRange(900, 999), domain.Reserve(900, 995)); // the cached range itself grows down

        // The cached node names the range, not a copy of its old bounds: the search starts below 900, not 990.
        Assert.Equal(new IovaRange(890, 899), domain.Allocate(10, 999));
    }

    [Fact]
    public void Free_OfRangeWithMergedReservation_FreesTheReservedPartToo()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Allocate(10, 99); // [90, 99]
        domain.Reserve(80, 95); // [80, 99]
        Assert.True(domain.Free(85));
        Assert.Equal(0, domain.Count);
        Assert.Null(domain.Find(95));
    }

    [Fact]
    public void Reserve_BelowStartPfn_IsAllowed()
    {
        using var domain = PlacementBehaviourTests.NewDomain(100);
        Assert.Equal(new IovaRange(0, 150), domain.Reserve(0, 150));
        Assert.Equal(new IovaRange(0, 150), domain.Find(0));
        Assert.Equal(new IovaRange(151, 160), domain.Allocate(10, 160));
    }
}
