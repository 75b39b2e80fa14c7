using FastIova.Dma;
using Xunit;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>The IOMMU model's hooks: which are called, in what order, and what a refused page-table map does.</summary>
public sealed class DmaHookTests
{
    private sealed class LoggingIommu : IIommuModel
    {
        public List<string> Events { get; } = [];

        public int RefuseMapNumber { get; set; } = -1;

        private int _maps;

        public bool TryMap(DmaDevice device, ulong iova, ulong physical, ulong size)
        {
            bool refuse = _maps++ == RefuseMapNumber;
            Events.Add($"map {iova:x} {physical:x} {size:x}{(refuse ? " refused" : "")}");
            return !refuse;
        }

        public void Unmap(ulong iova, ulong size) => Events.Add($"unmap {iova:x} {size:x}");

        public void SyncIotlb(ulong iova, ulong size) => Events.Add($"sync {iova:x} {size:x}");

        public void FlushIotlbAll() => Events.Add("flush-all");
    }

    private static (DmaDomain Dma, DmaCpu Cpu, DmaDevice Device, LoggingIommu Iommu) Create(DmaUnmapMode mode, ulong apertureEnd = (1UL << 48) - 1)
    {
        var iommu = new LoggingIommu();
        var dma = new DmaDomain(new DmaDomainOptions { CpuCount = 1, UnmapMode = mode, SimulatedTimer = true, Iommu = iommu, ApertureEnd = apertureEnd });
        return (dma, dma.Cpu(0), dma.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false), iommu);
    }

    [Fact]
    public void StrictUnmap_UnmapsSyncsAndFreesAtOnce()
    {
        var (dma, cpu, device, iommu) = Create(DmaUnmapMode.Strict);
        using (dma)
        {
            ulong address = cpu.Map(device, 0x12345, 100);
            cpu.Unmap(address, 100);

            Assert.Equal(["map fffffffff000 12000 1000", "unmap fffffffff000 1000", "sync fffffffff000 1000"], iommu.Events);
            Assert.Equal(address, cpu.Map(device, 0x12345, 100));
            Assert.False(dma.FlushTimerArmed);
        }
    }

    [Fact]
    public void LazyUnmap_KeepsTheIovaUntilAFlushAllHasCompleted()
    {
        var (dma, cpu, device, iommu) = Create(DmaUnmapMode.Lazy);
        using (dma)
        {
            ulong first = cpu.Map(device, 0x1000, 4096);
            cpu.Unmap(first, 4096);
            Assert.True(dma.FlushTimerArmed);

            // The IOTLB may still translate `first`: no new mapping may reuse it before the flush.
            ulong second = cpu.Map(device, 0x2000, 4096);
            Assert.NotEqual(first, second);
            Assert.Equal(["map fffffffff000 1000 1000", "unmap fffffffff000 1000", "map ffffffffe000 2000 1000"], iommu.Events);

            Assert.True(dma.FireFlushTimer());
            Assert.Equal("flush-all", iommu.Events[^1]);
            Assert.Equal(first, cpu.Map(device, 0x3000, 4096));
            Assert.False(dma.FireFlushTimer());
            Assert.Equal(1, dma.IotlbFlushes);
        }
    }

    [Fact]
    public void FullRing_FlushesOnTheUnmapThatFindsItFull()
    {
        var (dma, cpu, device, iommu) = Create(DmaUnmapMode.Lazy);
        using (dma)
        {
            var addresses = Enumerable.Range(0, 256).Select(i => cpu.Map(device, (ulong)i << 12, 4096)).ToList();
            for (int i = 0; i < 255; i++)
                cpu.Unmap(addresses[i], 4096);
            Assert.Equal(255, dma.PendingUnmaps);
            Assert.DoesNotContain("flush-all", iommu.Events);

            cpu.Unmap(addresses[255], 4096);

            Assert.Equal(1, dma.IotlbFlushes);
            Assert.Equal(1, dma.PendingUnmaps);
            Assert.Equal(["unmap " + addresses[255].ToString("x") + " 1000", "flush-all"], iommu.Events[^2..]);
        }
    }

    [Theory]
    [InlineData(DmaUnmapMode.Strict)]
    [InlineData(DmaUnmapMode.Lazy)]
    public void RefusedMap_IsFreedAtOnceNeverThroughTheQueue(DmaUnmapMode mode)
    {
        var (dma, cpu, device, iommu) = Create(mode);
        using (dma)
        {
            iommu.RefuseMapNumber = 0;

            Assert.False(cpu.TryMap(device, 0x5000, 4096, out _));

            Assert.Equal(0, dma.PendingUnmaps);
            Assert.False(dma.FlushTimerArmed);
            Assert.Equal(0xffff_ffff_f000UL, cpu.Map(device, 0x6000, 4096));
            Assert.Equal(["map fffffffff000 5000 1000 refused", "map fffffffff000 6000 1000"], iommu.Events);
        }
    }

    [Fact]
    public void RefusedSegment_UnmapsTheSegmentsBeforeItAndFreesTheWholeRange()
    {
        var (dma, cpu, device, iommu) = Create(DmaUnmapMode.Lazy);
        using (dma)
        {
            iommu.RefuseMapNumber = 2;
            ScatterSegment[] segments = [new(0x1000, 4096), new(0x8100, 8000), new(0x20000, 4096)];

            Assert.False(cpu.TryMapScatterList(device, ulong.MaxValue, segments, new ulong[3]));

            // 1 + 3 + 1 pages (the second starts 0x100 into its page) laid out from the start of an 8-page block (five
            // pages round up to a power of two); the third segment is refused, the first two are undone.
            ulong range = (1UL << 48) - 8 * 4096;
            Assert.Equal(
                [
                    $"map {range:x} 1000 1000",
                    $"map {range + 0x1000:x} 8000 3000",
                    $"map {range + 0x4000:x} 20000 1000 refused",
                    $"unmap {range:x} 1000",
                    $"unmap {range + 0x1000:x} 3000",
                ],
                iommu.Events);
            Assert.Equal(0, dma.PendingUnmaps);
            Assert.Equal(range, cpu.MapCoherent(device, 0, 5 * 4096));
        }
    }
}
