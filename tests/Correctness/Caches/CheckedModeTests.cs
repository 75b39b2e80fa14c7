using Xunit;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// Checked mode catches misuse of the fast path at the call that makes it; the unchecked domain behaves as the kernel
/// does and hands a double-freed range out twice.
/// </summary>
public sealed class CheckedModeTests
{
    private const ulong Limit = 10_000;

    private static IovaDomain NewDomain(bool isChecked) =>
        new(4096, 1, new IovaDomainOptions { Checked = isChecked, CpuCount = 2, DepotTrimInterval = Timeout.InfiniteTimeSpan });

    [Fact]
    public void DoubleFreeFast_Throws_AndLeavesTheCachesConsistent()
    {
        using var domain = NewDomain(isChecked: true);
        Assert.True(domain.TryAllocateFast(4, Limit, false, out ulong a));
        Assert.True(domain.TryAllocateFast(4, Limit, false, out ulong b));
        domain.FreeFast(a, 4);

        var e = Assert.Throws<InvalidOperationException>(() => domain.FreeFast(a, 4));
        Assert.Contains("double free", e.Message, StringComparison.OrdinalIgnoreCase);
        // Cached in one cache counts for every cache.
        Assert.Throws<InvalidOperationException>(() => domain.Cpu(1).FreeFast(a, 4));

        // The pfn sits in the cache once: the next allocation takes it, the one after comes from the tree.
        Assert.True(domain.TryAllocateFast(4, Limit, false, out ulong again));
        Assert.Equal(a, again);
        Assert.True(domain.TryAllocateFast(4, Limit, false, out ulong fresh));
        Assert.NotEqual(a, fresh);
        Assert.NotEqual(b, fresh);

        domain.FreeFast(again, 4);
        domain.FreeFast(b, 4);
        domain.Cpu(1).FreeFast(fresh, 4);
        domain.FlushCaches();
        Assert.Equal(0, domain.Count);
        domain.CheckInvariants();
    }

    [Fact]
    public void FreeFastAfterTheRangeWasFlushed_Throws()
    {
        using var domain = NewDomain(isChecked: true);
        Assert.True(domain.TryAllocateFast(2, Limit, false, out ulong a));
        domain.FreeFast(a, 2);
        domain.FlushCaches();

        var e = Assert.Throws<InvalidOperationException>(() => domain.FreeFast(a, 2));
        Assert.Contains("double free", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, domain.Count);
    }

    [Theory]
    [InlineData(4UL)]   // cached class
    [InlineData(100UL)] // beyond the cached classes: straight to the tree, still checked
    public void FreeFastOfAPfnInsideARange_Throws(ulong size)
    {
        using var domain = NewDomain(isChecked: true);
        Assert.True(domain.TryAllocateFast(size, Limit, false, out ulong a));

        var e = Assert.Throws<InvalidOperationException>(() => domain.FreeFast(a + 1, size));
        Assert.Contains("does not start", e.Message, StringComparison.Ordinal);
        Assert.Equal(new IovaRange(a, a + Rounded(size) - 1), domain.Find(a + 1));

        domain.FreeFast(a, size);
        domain.FlushCaches();
        Assert.Equal(0, domain.Count);
    }

    [Fact]
    public void FreeFastWithTheWrongSizeClass_Throws()
    {
        using var domain = NewDomain(isChecked: true);
        Assert.True(domain.TryAllocateFast(3, Limit, false, out ulong a)); // rounded to 4: class 2

        Assert.Throws<InvalidOperationException>(() => domain.FreeFast(a, 8));
        Assert.Throws<InvalidOperationException>(() => domain.FreeFast(a, 2));
        Assert.Throws<InvalidOperationException>(() => domain.FreeFast(a, 100));

        domain.FreeFast(a, 3); // the size passed to the allocation is of the right class
        Assert.True(domain.TryAllocateFast(4, Limit, false, out ulong again));
        Assert.Equal(a, again);
    }

    [Theory]
    [InlineData(4UL)]
    [InlineData(100UL)]
    public void ForeignFreeFast_Throws(ulong size)
    {
        using var domain = NewDomain(isChecked: true);
        Assert.True(domain.TryAllocateFast(4, Limit, false, out ulong a));
        ulong foreign = a > 5000 ? 1024UL : 8192UL;

        var e = Assert.Throws<InvalidOperationException>(() => domain.FreeFast(foreign, size));
        Assert.Contains("no live range", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => domain.Cpu(0).FreeFast(foreign, size));
        Assert.Equal(1, domain.Count);
        Assert.Equal(0, domain.GetStatistics().DepotMagazines);
    }

    [Fact]
    public void TreeFreeOfACachedRange_Throws()
    {
        using var domain = NewDomain(isChecked: true);
        Assert.True(domain.Cpu(0).TryAllocateFast(8, Limit, false, out ulong a));
        domain.Cpu(0).FreeFast(a, 8);

        Assert.Throws<InvalidOperationException>(() => domain.Free(a));
        Assert.Throws<InvalidOperationException>(() => domain.Free(a + 5));
        Assert.Equal(1, domain.Count);

        // Still cached, still handed out from the cache.
        Assert.True(domain.Cpu(0).TryAllocateFast(8, Limit, false, out ulong again));
        Assert.Equal(a, again);
        Assert.True(domain.Free(a)); // live again: a plain tree free is fine
        Assert.Equal(0, domain.Count);
    }

    [Fact]
    public void UncheckedDomain_AcceptsADoubleFree_AndHandsTheRangeOutTwice()
    {
        // Pins the kernel's behaviour: free_iova_fast does not look at the tree, so a double free caches the pfn twice.
        using var domain = NewDomain(isChecked: false);
        var cpu = domain.Cpu(0);
        Assert.True(cpu.TryAllocateFast(1, Limit, false, out ulong a));
        cpu.FreeFast(a, 1);
        cpu.FreeFast(a, 1);

        Assert.True(cpu.TryAllocateFast(1, Limit, false, out ulong first));
        Assert.True(cpu.TryAllocateFast(1, Limit, false, out ulong second));
        Assert.Equal(a, first);
        Assert.Equal(a, second);
        Assert.Equal(1, domain.Count);

        // Both copies go back; the flush frees the range once and skips the second copy, as the kernel's WARN path.
        cpu.FreeFast(first, 1);
        cpu.FreeFast(second, 1);
        domain.FlushCaches();
        Assert.Equal(0, domain.Count);
        domain.CheckInvariants();
    }

    [Fact]
    public void UncheckedDomain_ThreadCache_AcceptsADoubleFree()
    {
        using var domain = NewDomain(isChecked: false);
        Assert.True(domain.TryAllocateFast(16, Limit, false, out ulong a));
        domain.FreeFast(a, 16);
        domain.FreeFast(a, 16);

        Assert.True(domain.TryAllocateFast(16, Limit, false, out ulong first));
        Assert.True(domain.TryAllocateFast(16, Limit, false, out ulong second));
        Assert.Equal(a, first);
        Assert.Equal(a, second);
    }

    private static ulong Rounded(ulong size) => CacheLayerModel.Round(size, 6);
}
