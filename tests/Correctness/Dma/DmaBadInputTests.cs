using FastIova.Dma;
using Xunit;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>Bad input gets an exception naming the argument, and leaves the domain as it was.</summary>
public sealed class DmaBadInputTests : IDisposable
{
    private readonly DmaDomain _dma = new(new DmaDomainOptions { CpuCount = 2, UnmapMode = DmaUnmapMode.Lazy, SimulatedTimer = true });
    private readonly DmaDevice _nic;
    private readonly ulong _mapped;

    public DmaBadInputTests()
    {
        _dma.Reserve(0xfee0_0000, 0x10_0000);
        _nic = _dma.AttachDevice(1, ulong.MaxValue, 0xffff_ffff, pci32BitWorkaround: true);
        _mapped = _dma.Cpu(0).Map(_nic, 0x1234, 1500);
        _dma.Cpu(0).Unmap(_dma.Cpu(0).Map(_nic, 0x5000, 4096), 4096);
    }

    public void Dispose() => _dma.Dispose();

    public static TheoryData<string, Action<DmaDomain, DmaDevice>> BadCalls => new()
    {
        { "size", (d, n) => d.Cpu(0).TryMap(n, 0x1000, 0, out _) },
        { "size", (d, n) => d.Cpu(0).TryMap(n, ulong.MaxValue - 10, 12, out _) },
        { "size", (d, n) => d.Cpu(0).TryMapCoherent(n, 0, 0, out _) },
        { "physical", (d, n) => d.Cpu(0).TryMapCoherent(n, 0x1001, 4096, out _) },
        { "segments", (d, n) => d.Cpu(0).TryMapScatterList(n, ulong.MaxValue, [], new ulong[1]) },
        { "segments", (d, n) => d.Cpu(0).TryMapScatterList(n, ulong.MaxValue, [new(0, 4096), new(0, 0)], new ulong[2]) },
        { "segments", (d, n) => d.Cpu(0).TryMapScatterList(n, ulong.MaxValue, [new(0, ulong.MaxValue), new(0, ulong.MaxValue)], new ulong[2]) },
        { "dmaAddresses", (d, n) => d.Cpu(0).TryMapScatterList(n, ulong.MaxValue, [new(0, 4096), new(0, 4096)], new ulong[1]) },
        { "boundaryMask", (d, n) => d.Cpu(0).TryMapScatterList(n, 0xfff0, [new(0, 4096)], new ulong[1]) },
        { "boundaryMask", (d, n) => d.Cpu(0).TryMapScatterList(n, 0x7ff, [new(0, 4096)], new ulong[1]) },
        { "dmaAddress", (d, _) => d.Cpu(0).Unmap(1UL << 48, 4096) },
        { "dmaAddress", (d, _) => d.Cpu(0).Unmap(0x10, 4096) },
        { "size", (d, _) => d.Cpu(0).Unmap(0x10_0000, 0) },
        { "size", (d, _) => d.Cpu(0).Unmap((1UL << 48) - 4096, 8192) },
        { "device", (d, n) => d.Cpu(0).TryMap(null!, 0, 1, out _) },
        { "device", (d, n) => d.Cpu(0).TryMap(Foreign(), 0, 1, out _) },
        { "id", (d, _) => d.Device(7) },
        { "id", (d, _) => d.AttachDevice(4096, ulong.MaxValue, ulong.MaxValue, false) },
        { "dmaMask", (d, _) => d.AttachDevice(2, 0xffff, ulong.MaxValue, false) },
        { "coherentMask", (d, _) => d.AttachDevice(2, ulong.MaxValue, 0x1fffe, false) },
        { "length", (d, _) => d.Reserve(0x1000, 0) },
        { "length", (d, _) => d.Reserve(ulong.MaxValue, 2) },
        { "index", (d, _) => d.Cpu(2) },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public void BadArgument_IsNamedAndChangesNothing(string argument, Action<DmaDomain, DmaDevice> call)
    {
        IovaRange[] ranges = _dma.Iova.GetRanges();
        int pending = _dma.PendingUnmaps;

        var error = Assert.ThrowsAny<ArgumentException>(() => call(_dma, _nic));

        Assert.Equal(argument, error.ParamName);
        Assert.Equal(ranges, _dma.Iova.GetRanges());
        Assert.Equal(pending, _dma.PendingUnmaps);
        Assert.True(_nic.Uses32BitWorkaround);
        Assert.Throws<ArgumentException>(() => _dma.Device(2));
    }

    [Theory]
    [InlineData(256UL, 0UL, 0xffffffffUL)]
    [InlineData(3000UL, 0UL, 0xffffffffUL)]
    [InlineData(4096UL, 0x2000UL, 0x1000UL)]
    public void BadOptions_AreRefused(ulong granule, ulong start, ulong end)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DmaDomain(new DmaDomainOptions { Granule = granule, ApertureStart = start, ApertureEnd = end }));

        Assert.Equal("options", error.ParamName);
    }

    [Fact]
    public void ReserveAfterTheFirstMap_IsRefused()
    {
        Assert.Throws<InvalidOperationException>(() => _dma.Reserve(0x1_0000_0000, 4096));
        Assert.NotEqual(0UL, _mapped);
    }

    [Fact]
    public void DisposedDomain_ThrowsObjectDisposed()
    {
        var dma = new DmaDomain(new DmaDomainOptions { SimulatedTimer = true });
        DmaCpu cpu = dma.Cpu(0);
        DmaDevice device = dma.AttachDevice(0, ulong.MaxValue, ulong.MaxValue, false);
        dma.Dispose();
        dma.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cpu.TryMap(device, 0, 1, out _));
        Assert.Throws<ObjectDisposedException>(() => cpu.Unmap(0x10_0000, 1));
        Assert.Throws<ObjectDisposedException>(() => dma.FireFlushTimer());
    }

    private static DmaDevice Foreign()
    {
        using var other = new DmaDomain(new DmaDomainOptions { SimulatedTimer = true });
        return other.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, false);
    }
}
