using FastIova.Dma;
using Xunit;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>Checked mode refuses the unmaps that silently corrupt the kernel's allocator, changing nothing.</summary>
public sealed class DmaCheckedModeTests
{
    private static (DmaDomain Dma, DmaCpu Cpu, DmaDevice Device) Create(DmaUnmapMode mode, bool isChecked = true)
    {
        var dma = new DmaDomain(new DmaDomainOptions { CpuCount = 1, UnmapMode = mode, Checked = isChecked, SimulatedTimer = true });
        // A 32-bit device: its mappings sit below 4 GiB, with aperture above them for the wrong unmaps to name.
        return (dma, dma.Cpu(0), dma.AttachDevice(3, 0xffff_ffff, 0xffff_ffff, pci32BitWorkaround: false));
    }

    [Theory]
    [InlineData(DmaUnmapMode.Strict)]
    [InlineData(DmaUnmapMode.Lazy)]
    [InlineData(DmaUnmapMode.LazySingleQueue)]
    public void UnmapOfWhatIsNotMapped_Throws(DmaUnmapMode mode)
    {
        var (dma, cpu, device) = Create(mode);
        using (dma)
        {
            ulong address = cpu.Map(device, 0x1_0123, 3000);
            IovaRange[] before = dma.Iova.GetRanges();

            var error = Assert.Throws<InvalidOperationException>(() => cpu.Unmap(address + 0x10_0000, 3000));

            Assert.Contains("no mapping starts in that granule", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, dma.Iova.GetRanges());
            Assert.Equal(0, dma.PendingUnmaps);
            Assert.Equal(1, dma.CheckedMappings);
        }
    }

    [Theory]
    [InlineData(DmaUnmapMode.Strict)]
    [InlineData(DmaUnmapMode.Lazy)]
    public void SecondUnmap_Throws(DmaUnmapMode mode)
    {
        var (dma, cpu, device) = Create(mode);
        using (dma)
        {
            ulong address = cpu.Map(device, 0x2000, 4096);
            cpu.Unmap(address, 4096);
            int pending = dma.PendingUnmaps;

            var error = Assert.Throws<InvalidOperationException>(() => cpu.Unmap(address, 4096));

            Assert.Contains($"unmap of 0x{address:x} (4096 bytes)", error.Message, StringComparison.Ordinal);
            Assert.Equal(pending, dma.PendingUnmaps);
            Assert.Equal(0, dma.CheckedMappings);
        }
    }

    [Theory]
    [InlineData(0x2000UL, 4096UL, 0UL, 8192UL)]
    [InlineData(0x2000UL, 4096UL, 0UL, 100UL)]
    [InlineData(0x2010UL, 4000UL, 0x10UL, 3999UL)]
    public void UnmapWithAnotherSize_ThrowsWithBothMappings(ulong physical, ulong size, ulong offset, ulong wrongSize)
    {
        var (dma, cpu, device) = Create(DmaUnmapMode.Lazy);
        using (dma)
        {
            ulong address = cpu.Map(device, physical, size);
            Assert.Equal(offset, address & 0xfff);

            var error = Assert.Throws<InvalidOperationException>(() => cpu.Unmap(address, wrongSize));

            Assert.Contains($"does not match the mapping of device 3 at 0x{address:x} ({size} bytes)", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, dma.PendingUnmaps);
            cpu.Unmap(address, size);
            Assert.Equal(1, dma.PendingUnmaps);
        }
    }

    [Fact]
    public void ScatterListAndCoherentMaps_UnmapAsMapped()
    {
        var (dma, cpu, device) = Create(DmaUnmapMode.Strict);
        using (dma)
        {
            ScatterSegment[] segments = [new(0, 40960), new(100, 30000), new(0, 8192)];
            var addresses = new ulong[3];
            cpu.MapScatterList(device, 0xffff, segments, addresses);
            ulong coherent = cpu.MapCoherent(device, 0x10_0000, 100);

            Assert.Throws<InvalidOperationException>(() => cpu.Unmap(addresses[0], 40960));
            cpu.UnmapScatterList(addresses, segments);
            cpu.Unmap(coherent, 100);
            Assert.Equal(0, dma.CheckedMappings);
        }
    }

    [Fact]
    public void WithoutCheckedMode_AWrongUnmapIsTakenAsTheKernelTakesIt()
    {
        var (dma, cpu, device) = Create(DmaUnmapMode.Strict, isChecked: false);
        using (dma)
        {
            ulong address = cpu.Map(device, 0x2000, 4096);

            cpu.Unmap(address, 100); // the same granule: the kernel cannot tell

            Assert.Equal(-1, dma.CheckedMappings);
            Assert.Equal(address, cpu.Map(device, 0x3000, 4096));
        }
    }
}
