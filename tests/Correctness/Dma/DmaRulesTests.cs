using FastIova.Dma;
using Xunit;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>dma-iommu rules that the public traces do not reach: apertures above 4 GiB, the real timer.</summary>
public sealed class DmaRulesTests
{
    [Fact]
    public void ApertureAbove4GiB_A32BitDeviceFailsAndAPciDeviceFlipsAtItsFirstMap()
    {
        using var dma = new DmaDomain(new DmaDomainOptions { ApertureStart = 8UL << 30, CpuCount = 1, UnmapMode = DmaUnmapMode.Strict, SimulatedTimer = true });
        DmaCpu cpu = dma.Cpu(0);
        DmaDevice old32 = dma.AttachDevice(1, 0xffff_ffff, 0xffff_ffff, pci32BitWorkaround: true);
        DmaDevice pci = dma.AttachDevice(2, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: true);

        // The kernel's search below a limit under the domain's start fails; it is not an error.
        Assert.False(cpu.TryMap(old32, 0x1000, 4096, out _));
        Assert.True(old32.Uses32BitWorkaround); // a 32-bit mask never takes the workaround step

        Assert.Equal((1UL << 48) - 4096, cpu.Map(pci, 0x1000, 4096));
        Assert.False(pci.Uses32BitWorkaround);
        Assert.Equal(1, dma.WorkaroundFlips);
    }

    [Fact]
    public void RedeclaringADevice_SetsItsFlagAnewAndKeepsItsMappings()
    {
        using var dma = new DmaDomain(new DmaDomainOptions { ApertureStart = 0xffff_0000, CpuCount = 1, UnmapMode = DmaUnmapMode.Strict, SimulatedTimer = true });
        DmaCpu cpu = dma.Cpu(0);
        DmaDevice pci = dma.AttachDevice(1, ulong.MaxValue, 0xffff_ffff, pci32BitWorkaround: true);
        var below = Enumerable.Range(0, 4).Select(i => cpu.Map(pci, (ulong)i << 14, 16384)).ToList();
        Assert.All(below, a => Assert.True(a < 1UL << 32));

        ulong above = cpu.Map(pci, 0x50000, 16384);
        Assert.True(above >= 1UL << 32);
        Assert.False(pci.Uses32BitWorkaround);

        Assert.Same(pci, dma.AttachDevice(1, ulong.MaxValue, 0xffff_ffff, pci32BitWorkaround: true));
        Assert.True(pci.Uses32BitWorkaround);
        Assert.Equal(5, dma.Iova.Count);
    }

    [Fact]
    public void RealTimer_FreesQueuedUnmapsWithoutBeingFired()
    {
        using var dma = new DmaDomain(new DmaDomainOptions { CpuCount = 1, UnmapMode = DmaUnmapMode.Lazy });
        DmaCpu cpu = dma.Cpu(0);
        DmaDevice device = dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, false);
        cpu.Unmap(cpu.Map(device, 0x1000, 4096), 4096);

        // The kernel's 10 ms timer; waited for with a wide margin, since this checks that it fires, not when.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((dma.PendingUnmaps > 0 || dma.FlushTimerArmed) && DateTime.UtcNow < deadline)
            Thread.Sleep(5);

        Assert.Equal(0, dma.PendingUnmaps);
        Assert.Equal(1, dma.IotlbFlushes);
    }

    [Theory]
    [InlineData(DmaUnmapMode.Lazy)]
    [InlineData(DmaUnmapMode.LazySingleQueue)]
    public void FlushAndDispose_FreeEverythingQueued(DmaUnmapMode mode)
    {
        var dma = new DmaDomain(new DmaDomainOptions { CpuCount = 3, UnmapMode = mode, SimulatedTimer = true });
        DmaDevice device = dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, false);
        var kept = new List<IovaRange>();
        for (int cpu = 0; cpu < 3; cpu++)
        {
            DmaCpu c = dma.Cpu(cpu);
            for (int i = 0; i < 40; i++)
                c.Unmap(c.Map(device, 0, 40_000), 40_000); // 10 pages: above the cached sizes, so freed to the tree
            ulong live = c.Map(device, 0, 200_000);
            kept.Add(dma.Iova.Find(live >> 12)!.Value);
        }

        Assert.Equal(120, dma.PendingUnmaps);
        dma.FlushUnmapQueues();
        dma.Iova.FlushCaches();

        Assert.Equal(0, dma.PendingUnmaps);
        Assert.Equal(kept.OrderBy(r => r.PfnLo), dma.Iova.GetRanges());
        dma.Dispose();
    }
}
