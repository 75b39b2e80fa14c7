using Xunit;

namespace FastIova.Tests.Correctness.Domain;

/// <summary>The 32-bit hint, max32_alloc_size: set by a failed search, cleared by freeing anything below 4 GiB.</summary>
public sealed class Dma32HintBehaviourTests
{
    [Fact]
    public void Alloc_Fails32BitRequestWithoutSearching_WhenSizeReachesHint()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Reserve(0, 999);
        Assert.False(domain.TryAllocate(100, 999, false, out _)); // hint := 100

        // [1000, 99999] is free, but a 32-bit request of 100 or more is refused at once.
        Assert.False(domain.TryAllocate(100, 99_999, false, out _));
        Assert.False(domain.TryAllocate(5_000, 99_999, true, out _));
        Assert.Equal(new IovaRange(99_901, 99_999), domain.Allocate(99, 99_999));
    }

    [Fact]
    public void Alloc_IgnoresHint_WhenLimitIsDma32PfnOrAbove()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        ulong dma32 = domain.Dma32Pfn;
        domain.Reserve(0, 999);
        Assert.False(domain.TryAllocate(100, 999, false, out _));

        Assert.False(domain.TryAllocate(100, dma32 - 1, false, out _)); // limit dma32 - 1 is 32-bit
        Assert.Equal(new IovaRange(dma32 - 99, dma32), domain.Allocate(100, dma32)); // limit dma32 is not
    }

    [Fact]
    public void Free_ResetsHint_WhenFreedRangeStartsBelowDma32()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        domain.Reserve(0, 999);
        Assert.False(domain.TryAllocate(100, 999, false, out _));
        Assert.False(domain.TryAllocate(100, 99_999, false, out _));

        Assert.True(domain.Free(500)); // frees [0, 999]
        Assert.Equal(new IovaRange(99_900, 99_999), domain.Allocate(100, 99_999));
    }

    [Fact]
    public void Free_KeepsHint_WhenFreedRangeLiesAboveDma32()
    {
        using var domain = PlacementBehaviourTests.NewDomain(0);
        ulong dma32 = domain.Dma32Pfn;
        IovaRange high = domain.Allocate(10, dma32 + 99);
        domain.Reserve(0, 999);
        Assert.False(domain.TryAllocate(100, 999, false, out _));

        Assert.True(domain.Free(high.PfnLo));
        Assert.False(domain.TryAllocate(100, 99_999, false, out _));

        Assert.True(domain.Free(0));
        Assert.True(domain.TryAllocate(100, 99_999, false, out _));
    }
}
