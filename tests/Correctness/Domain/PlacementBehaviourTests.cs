using Xunit;

namespace FastIova.Tests.Correctness.Domain;

/// <summary>
/// Named behaviours of alloc_iova's placement (TRACE-FORMAT.md, "alloc"): the cached nodes, the retry pass and the
/// alignment rule. Expected pfns are worked out by hand from the spec; the traces pin the same numbers.
/// </summary>
public sealed class PlacementBehaviourTests
{
    private const ulong Granule4K = 4096;
    private const ulong OneGiBTop = 262_143; // 1 GiB of 4 KiB pages

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Alloc_SeedScenario_Places2MBAtPfn133632(bool linearWalk)
    {
        // The LKML scenario behind "iommu/iova: Retry from last rb tree node if iova search fails".
        using var domain = NewDomain(0, linearWalk);
        Assert.Equal(134_144UL, domain.Allocate(128_000, OneGiBTop).PfnLo); // 500 MB
        Assert.Equal(131_072UL, domain.Allocate(3_072, OneGiBTop).PfnLo); // 12 MB
        Assert.Equal(3_328UL, domain.Allocate(127_744, OneGiBTop).PfnLo); // 499 MB
        Assert.True(domain.Free(131_072));
        Assert.Equal(0UL, domain.Allocate(3_328, OneGiBTop).PfnLo); // 13 MB: below everything, becomes cached32_node

        // Nothing fits below the cached node at pfn 0: only the retry pass over [3328, 262143] finds the 12 MB hole.
        Assert.Equal(new IovaRange(133_632, 134_143), domain.Allocate(512, OneGiBTop));
        Assert.Equal(4, domain.Count);
        domain.CheckInvariants();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Alloc_SeedScenarioAligned_FindsTheHoleOnlyInTheRetryPass(bool linearWalk)
    {
        using var domain = NewDomain(0, linearWalk);
        ulong[] sizes = [131_072, 1_024, 1_024, 2_048, 4_096, 8_192, 16_384, 32_768, 32_768, 16_384, 8_192, 4_096, 2_048];
        ulong[] expected = [131_072, 130_048, 129_024, 126_976, 122_880, 114_688, 98_304, 65_536, 32_768, 16_384, 8_192, 4_096, 2_048];
        for (int i = 0; i < sizes.Length; i++)
        {
            Assert.Equal(expected[i], domain.Allocate(sizes[i], OneGiBTop, sizeAligned: true).PfnLo);
        }

        Assert.True(domain.Free(130_048));
        Assert.Equal(0UL, domain.Allocate(2_048, OneGiBTop, sizeAligned: true).PfnLo); // 8 MB: the hole is too small
        Assert.Equal(130_048UL, domain.Allocate(1_024, OneGiBTop, sizeAligned: true).PfnLo); // 4 MB: retry pass
        Assert.False(domain.TryAllocate(1, OneGiBTop, true, out _));
        Assert.Equal(14, domain.Count);
    }

    [Fact]
    public void Alloc_RetriesAboveCachedNode_WhenBelowIsFull()
    {
        using var domain = NewDomain(0);
        Assert.Equal(50UL, domain.Allocate(50, 99).PfnLo); // [50, 99]
        Assert.Equal(40UL, domain.Allocate(10, 99).PfnLo); // [40, 49]
        Assert.Equal(15UL, domain.Allocate(25, 99).PfnLo); // [15, 39]
        Assert.True(domain.Free(40)); // at or above cached32_node: it moves to the successor, [50, 99]
        Assert.Equal(0UL, domain.Allocate(15, 99).PfnLo); // too big for the hole: [0, 14] becomes cached32_node

        // Nothing is free below [0, 14]; the retry pass over [15, 99] finds the hole at [40, 49] and takes its top.
        Assert.Equal(new IovaRange(45, 49), domain.Allocate(5, 99));
    }

    [Fact]
    public void Alloc_PrefersSpaceBelowCachedNode_OverHigherSpaceAboveIt()
    {
        using var domain = NewDomain(0);
        Assert.Equal(50UL, domain.Allocate(50, 99).PfnLo); // [50, 99]
        Assert.Equal(40UL, domain.Allocate(10, 99).PfnLo); // [40, 49]
        Assert.Equal(20UL, domain.Allocate(20, 99).PfnLo); // [20, 39]
        Assert.True(domain.Free(40)); // cached32_node moves up to [50, 99]
        Assert.Equal(8UL, domain.Allocate(12, 99).PfnLo); // [8, 19] becomes cached32_node; [40, 49] stays free

        // [45, 49] would be higher, but the first pass searches below the cached node and finds [0, 7].
        Assert.Equal(new IovaRange(3, 7), domain.Allocate(5, 99));
    }

    [Fact]
    public void Alloc_DoesNotWrapTheRetryWindow_WhenCachedNodeIsTheAnchor()
    {
        // Reserve does not move the cached nodes, so cached32_node is still the anchor (pfn_hi = 2^64-1, never below
        // the limit): no retry pass. A retry window starting at anchor.pfn_hi + 1 would wrap to pfn 0 and hand out
        // pfns below start_pfn.
        using var domain = NewDomain(16);
        Assert.Equal(new IovaRange(16, 1023), domain.Reserve(16, 1023));
        Assert.False(domain.TryAllocate(1, 1023, false, out _));
        Assert.Null(domain.Find(15));
        Assert.Equal([new IovaRange(16, 1023)], domain.GetRanges());
    }

    [Fact]
    public void Alloc_PlacesBlockAsHighAsPossible_BelowTheLimit()
    {
        using var domain = NewDomain(1);
        Assert.Equal(new IovaRange(991, 1000), domain.Allocate(10, 1000));
        Assert.Equal(new IovaRange(981, 990), domain.Allocate(10, 1000));
        Assert.Equal(new IovaRange(1, 1), domain.Allocate(1, 1));
    }

    [Theory]
    [InlineData(5UL, 1000UL, 992UL)] // 5 -> multiple of 8: highest start <= 996 is 992
    [InlineData(8UL, 1000UL, 992UL)]
    [InlineData(9UL, 1000UL, 992UL)] // 9 -> multiple of 16: 992 = 62 * 16
    [InlineData(9UL, 999UL, 976UL)] // 991 rounds down to 976
    [InlineData(1UL, 1000UL, 1000UL)] // size 1 needs no alignment
    [InlineData(3UL, 1023UL, 1020UL)]
    public void Alloc_AlignsStartToNextPowerOfTwo_WhenSizeAligned(ulong size, ulong limit, ulong expected)
    {
        using var domain = NewDomain(0);
        Assert.Equal(expected, domain.Allocate(size, limit, sizeAligned: true).PfnLo);
    }

    [Fact]
    public void Alloc_SkipsGapThatIsBigEnoughButMisaligned()
    {
        using var domain = NewDomain(0);
        domain.Reserve(0, 1000);
        domain.Reserve(1017, 1023); // the only free gap: [1001, 1016], 16 pfns, not 16-aligned
        Assert.False(domain.TryAllocate(16, 1023, true, out _));
        Assert.Equal(new IovaRange(1002, 1016), domain.Allocate(15, 1023)); // 15 < the hint (16) left by the failure
    }

    [Fact]
    public void Alloc_Fails_WhenSizeExceedsWindow()
    {
        using var domain = NewDomain(10);
        Assert.False(domain.TryAllocate(11, 19, false, out _));
        Assert.Equal(new IovaRange(10, 19), domain.Allocate(10, 19));
        Assert.Equal(1, domain.Count);
    }

    [Fact]
    public void Allocate_ThrowsExhausted_WithSizeAndLimit()
    {
        using var domain = NewDomain(0);
        var exception = Assert.Throws<IovaExhaustedException>(() => domain.Allocate(200, 99));
        Assert.Equal(200UL, exception.Size);
        Assert.Equal(99UL, exception.LimitPfn);
        Assert.Equal(0, domain.Count);
    }

    [Fact]
    public void Alloc_NewRangeBecomesCachedNodeOfItsSide_OfTheBoundary()
    {
        using var domain = NewDomain(0);
        ulong dma32 = domain.Dma32Pfn;
        IovaRange high = domain.Allocate(4, dma32 + 99); // above the boundary: cached_node
        Assert.Equal(dma32 + 96, high.PfnLo);
        IovaRange low = domain.Allocate(4, dma32 - 1); // 32-bit: cached32_node
        Assert.Equal(dma32 - 4, low.PfnLo);

        // A 64-bit request now searches below cached_node first: the top of the space below high.
        Assert.Equal(dma32 + 92, domain.Allocate(4, dma32 + 99).PfnLo);

        // A 32-bit request searches below cached32_node.
        Assert.Equal(dma32 - 8, domain.Allocate(4, dma32 - 1).PfnLo);
    }

    /// <summary>A 4 KiB-granule domain with deterministic caches (no background trim).</summary>
    internal static IovaDomain NewDomain(ulong startPfn, bool linearWalk = false) =>
        new(Granule4K, startPfn, new IovaDomainOptions
        {
            CpuCount = 2,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
            Search = linearWalk ? PlacementSearch.LinearWalk : PlacementSearch.Augmented,
        });
}
