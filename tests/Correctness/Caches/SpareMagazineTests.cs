using FastIova.Dma;
using Xunit;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// A cache with one owner keeps a private spare full magazine before the depot (<see cref="IovaDomainOptions.SpareMagazines"/>);
/// without it, the kernel's two magazines. The differential tests check the rule op by op against the model; these
/// pin down the counts a user relies on.
/// </summary>
public sealed class SpareMagazineTests
{
    private const int MagazineSize = 4;
    private const ulong Limit = 1 << 20;

    [Theory]
    [InlineData(true, 3 * MagazineSize)]
    [InlineData(false, 2 * MagazineSize)]
    public void OwnedCache_FillsItsMagazinesAndSpare_BeforeTheDepot(bool spare, int heldPrivately)
    {
        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions
        {
            CpuCount = 1,
            MagazineSize = MagazineSize,
            SpareMagazines = spare,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
        using IovaCache cache = domain.CreateCache();
        var pfns = new ulong[heldPrivately + 1];
        for (int i = 0; i < pfns.Length; i++)
            Assert.True(cache.TryAllocateFast(1, Limit, false, out pfns[i]));

        for (int i = 0; i < heldPrivately; i++)
            cache.FreeFast(pfns[i], 1);
        Assert.Equal(0, domain.GetStatistics().DepotMagazines);

        cache.FreeFast(pfns[heldPrivately], 1);
        Assert.Equal(1, domain.GetStatistics().DepotMagazines);

        // Everything comes back from the cache, the newest first, then the depot's magazine.
        for (int i = 0; i < pfns.Length; i++)
            Assert.True(cache.TryAllocateFast(1, Limit, false, out _));
        var stats = domain.GetStatistics();
        Assert.Equal(0, stats.DepotMagazines);
        Assert.Equal(pfns.Length, stats.CacheHits);
        Assert.Equal(pfns.Length, domain.Count);
    }

    [Fact]
    public void SimulatedCpu_KeepsTheKernelsTwoMagazines()
    {
        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 1, MagazineSize = MagazineSize, DepotTrimInterval = Timeout.InfiniteTimeSpan });
        var cpu = domain.Cpu(0);
        var pfns = new ulong[2 * MagazineSize + 1];
        for (int i = 0; i < pfns.Length; i++)
            Assert.True(cpu.TryAllocateFast(1, Limit, false, out pfns[i]));
        foreach (ulong pfn in pfns)
            cpu.FreeFast(pfn, 1);
        Assert.Equal(1, domain.GetStatistics().DepotMagazines);
    }

    [Fact]
    public void Flush_ReturnsTheSparesRangesToTheTree()
    {
        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = 1, MagazineSize = MagazineSize, DepotTrimInterval = Timeout.InfiniteTimeSpan });
        using IovaCache cache = domain.CreateCache();
        var pfns = new ulong[3 * MagazineSize];
        for (int i = 0; i < pfns.Length; i++)
            Assert.True(cache.TryAllocateFast(1, Limit, false, out pfns[i]));
        foreach (ulong pfn in pfns)
            cache.FreeFast(pfn, 1);

        cache.Flush();
        Assert.Equal(0, domain.Count);
    }

    [Fact]
    public void LazyWorker_FlushCyclesStayOffTheDepot()
    {
        // A flush queue of 255 entries outgrows two magazines of 127: with the spare, a worker's cycle stays private.
        using var dma = new DmaDomain(new DmaDomainOptions { CpuCount = 1, UnmapMode = DmaUnmapMode.Lazy, SimulatedTimer = true, DepotTrimInterval = Timeout.InfiniteTimeSpan });
        DmaDevice device = dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        using DmaWorker worker = dma.CreateWorker();
        var live = new ulong[32];
        ulong phys = 0;
        for (int i = 0; i < live.Length; i++)
            live[i] = worker.Map(device, phys += 4096, 4096);
        for (int i = 0; i < 20_000; i++)
        {
            worker.Unmap(live[i % live.Length], 4096);
            live[i % live.Length] = worker.Map(device, phys += 4096, 4096);
        }

        var stats = dma.Iova.GetStatistics();
        Assert.Equal(0, stats.DepotMagazines);
        Assert.True(stats.CacheMisses < 600, $"{stats.CacheMisses} misses: the cycle should be served from the worker's own magazines");
    }
}
