using Xunit;

namespace FastIova.Tests.Correctness.Domain;

/// <summary>
/// Every public member refuses bad input with an ArgumentException naming the argument, and leaves the domain as it
/// was: its ranges and its next allocations match those of an untouched twin built by the same calls.
/// </summary>
public sealed class BadInputTests
{
    private const ulong Granule = 4096;
    private const ulong StartPfn = 16;

    // The highest pfn reserve accepts: 64-bit byte addresses (TRACE-FORMAT.md, reserve).
    private const ulong MaxReservePfn = ulong.MaxValue >> 12;

    // name -> (bad call, expected ParamName)
    private static readonly Dictionary<string, (Action<IovaDomain> Call, string ParamName)> s_badCalls = new()
    {
        ["TryAllocate size 0"] = (d => d.TryAllocate(0, 999, false, out _), "size"),
        ["TryAllocate size 0 aligned"] = (d => d.TryAllocate(0, 999, true, out _), "size"),
        ["TryAllocate limit below start"] = (d => d.TryAllocate(1, StartPfn - 1, false, out _), "limitPfn"),
        ["TryAllocate limit beyond MaxPfn"] = (d => d.TryAllocate(1, d.MaxPfn + 1, false, out _), "limitPfn"),
        ["TryAllocate limit 2^64-1"] = (d => d.TryAllocate(1, ulong.MaxValue, false, out _), "limitPfn"),
        ["Allocate size 0"] = (d => d.Allocate(0, 999), "size"),
        ["Allocate limit below start"] = (d => d.Allocate(4, 0, sizeAligned: true), "limitPfn"),
        ["Allocate limit beyond MaxPfn"] = (d => d.Allocate(1, d.MaxPfn + 1), "limitPfn"),
        ["Free pfn beyond MaxPfn"] = (d => d.Free(d.MaxPfn + 1), "pfn"),
        ["Free pfn 2^64-1"] = (d => d.Free(ulong.MaxValue), "pfn"),
        ["Find pfn beyond MaxPfn"] = (d => d.Find(d.MaxPfn + 1), "pfn"),
        ["Find pfn 2^64-1"] = (d => d.Find(ulong.MaxValue), "pfn"),
        ["Reserve lo above hi"] = (d => d.Reserve(200, 100), "pfnHi"),
        ["Reserve hi beyond MaxPfn"] = (d => d.Reserve(100, MaxReservePfn + 1), "pfnHi"),
        ["Reserve both beyond MaxPfn"] = (d => d.Reserve(MaxReservePfn + 1, MaxReservePfn + 2), "pfnLo"),
        ["TryAllocateFast size 0"] = (d => d.TryAllocateFast(0, 999, false, out _), "size"),
        ["TryAllocateFast size 0 with flush"] = (d => d.TryAllocateFast(0, 999, true, out _), "size"),
        ["TryAllocateFast limit below start"] = (d => d.TryAllocateFast(1, StartPfn - 1, false, out _), "limitPfn"),
        ["TryAllocateFast limit beyond MaxPfn"] = (d => d.TryAllocateFast(1, d.MaxPfn + 1, false, out _), "limitPfn"),
        ["FreeFast size 0"] = (d => d.FreeFast(990, 0), "size"),
        ["FreeFast pfn beyond MaxPfn"] = (d => d.FreeFast(d.MaxPfn + 1, 1), "pfn"),
        ["Cpu index -1"] = (d => d.Cpu(-1), "index"),
        ["Cpu index CpuCount"] = (d => d.Cpu(d.CpuCount), "index"),
        ["Cpu index int.MaxValue"] = (d => d.Cpu(int.MaxValue), "index"),
        ["SimulatedCpu TryAllocateFast size 0"] = (d => d.Cpu(1).TryAllocateFast(0, 999, false, out _), "size"),
        ["SimulatedCpu TryAllocateFast limit below start"] = (d => d.Cpu(0).TryAllocateFast(2, 3, true, out _), "limitPfn"),
        ["SimulatedCpu FreeFast size 0"] = (d => d.Cpu(0).FreeFast(990, 0), "size"),
        ["SimulatedCpu FreeFast pfn beyond MaxPfn"] = (d => d.Cpu(0).FreeFast(d.MaxPfn + 1, 1), "pfn"),
        ["IovaCache TryAllocateFast size 0"] = (d => Through(d, c => c.TryAllocateFast(0, 999, true, out _)), "size"),
        ["IovaCache TryAllocateFast limit below start"] = (d => Through(d, c => c.TryAllocateFast(2, 3, false, out _)), "limitPfn"),
        ["IovaCache TryAllocateFast limit beyond MaxPfn"] = (d => Through(d, c => c.TryAllocateFast(1, d.MaxPfn + 1, false, out _)), "limitPfn"),
        ["IovaCache FreeFast size 0"] = (d => Through(d, c => c.FreeFast(990, 0)), "size"),
        ["IovaCache FreeFast pfn beyond MaxPfn"] = (d => Through(d, c => c.FreeFast(d.MaxPfn + 1, 1)), "pfn"),
    };

    // name -> a call on a disposed domain
    private static readonly Dictionary<string, Action<IovaDomain>> s_callsAfterDispose = new()
    {
        ["TryAllocate"] = d => d.TryAllocate(1, 999, false, out _),
        ["Allocate"] = d => d.Allocate(1, 999),
        ["Free"] = d => d.Free(990),
        ["Find"] = d => d.Find(990),
        ["Reserve"] = d => d.Reserve(100, 200),
        ["GetRanges"] = d => d.GetRanges(),
        ["TryAllocateFast"] = d => d.TryAllocateFast(1, 999, false, out _),
        ["FreeFast"] = d => d.FreeFast(990, 1),
        ["Cpu"] = d => d.Cpu(0),
        ["FlushCaches"] = d => d.FlushCaches(),
        ["FlushDepot"] = d => d.FlushDepot(),
        ["TrimDepot"] = d => d.TrimDepot(),
        ["GetStatistics"] = d => d.GetStatistics(),
        ["CreateCache"] = d => d.CreateCache(),
    };

    public static TheoryData<string> BadCalls() => [.. s_badCalls.Keys];

    private static void Through(IovaDomain domain, Action<IovaCache> call)
    {
        using var cache = domain.CreateCache();
        call(cache);
    }

    public static TheoryData<string> CallsAfterDispose() => [.. s_callsAfterDispose.Keys];

    [Theory]
    [MemberData(nameof(BadCalls))]
    public void BadArgument_Throws_NamingIt_AndLeavesDomainUnchanged(string call)
    {
        (Action<IovaDomain> badCall, string paramName) = s_badCalls[call];
        using IovaDomain domain = Prepared();
        var exception = Assert.ThrowsAny<ArgumentException>(() => badCall(domain));
        Assert.Equal(paramName, exception.ParamName);
        AssertSameAsUntouchedTwin(domain);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(3UL)]
    [InlineData(6_144UL)]
    [InlineData(4_097UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 33)] // above the documented 2^32 bytes
    public void Constructor_Throws_NamingGranule_WhenNotAPowerOfTwo(ulong granule)
    {
        var exception = Assert.ThrowsAny<ArgumentException>(() => new IovaDomain(granule, 0, Options()));
        Assert.Equal("granule", exception.ParamName);
    }

    [Theory]
    [InlineData(512UL)]
    [InlineData(1_024UL)]
    [InlineData(2_048UL)]
    [InlineData(4_096UL)]
    [InlineData(65_536UL)]
    public void Constructor_Accepts_DocumentedGranules(ulong granule)
    {
        using var domain = new IovaDomain(granule, 0, Options());
        Assert.Equal(granule, domain.Granule);
        Assert.Equal(1UL << (32 - System.Numerics.BitOperations.Log2(granule)), domain.Dma32Pfn);
        Assert.True(domain.MaxPfn >= ulong.MaxValue >> System.Numerics.BitOperations.Log2(granule)); // every 64-bit address
        Assert.Equal(0, domain.Count);
    }

    [Fact]
    public void Constructor_Throws_NamingStartPfn_WhenBeyondMaxPfn()
    {
        var exception = Assert.ThrowsAny<ArgumentException>(() => new IovaDomain(Granule, ulong.MaxValue, Options()));
        Assert.Equal("startPfn", exception.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_Throws_NamingOptions_WhenCpuCountIsNotPositive(int cpuCount)
    {
        var exception = Assert.ThrowsAny<ArgumentException>(() => new IovaDomain(Granule, 0, new IovaDomainOptions { CpuCount = cpuCount }));
        Assert.Equal("options", exception.ParamName);
    }

    [Theory]
    [MemberData(nameof(CallsAfterDispose))]
    public void UseAfterDispose_ThrowsObjectDisposed(string call)
    {
        IovaDomain domain = Prepared();
        domain.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s_callsAfterDispose[call](domain));
    }

    [Fact]
    public void SimulatedCpu_UseAfterDispose_ThrowsObjectDisposed()
    {
        IovaDomain domain = Prepared();
        SimulatedCpu cpu = domain.Cpu(1);
        domain.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cpu.TryAllocateFast(1, 999, false, out _));
        Assert.Throws<ObjectDisposedException>(() => cpu.FreeFast(990, 1));
        Assert.Throws<ObjectDisposedException>(cpu.Flush);
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrow()
    {
        IovaDomain domain = Prepared();
        domain.Dispose();
        domain.Dispose();
    }

    /// <summary>A domain with some history: ranges on both sides of the 32-bit boundary, a reservation, a hint.</summary>
    private static IovaDomain Prepared()
    {
        var domain = new IovaDomain(Granule, StartPfn, Options());
        domain.Allocate(10, 999);
        domain.Reserve(100, 199);
        domain.Allocate(5, 999, sizeAligned: true);
        domain.Allocate(3, domain.Dma32Pfn + 99);
        Assert.False(domain.TryAllocate(2_000, 1_500, false, out _)); // hint := 2000
        Assert.True(domain.TryAllocateFast(4, 4_000, false, out ulong cached));
        domain.FreeFast(cached, 4); // parked in the calling thread's cache
        return domain;
    }

    private static void AssertSameAsUntouchedTwin(IovaDomain touched)
    {
        using IovaDomain twin = Prepared();
        Assert.Equal(twin.GetRanges(), touched.GetRanges());
        Assert.Equal(twin.Count, touched.Count);
        touched.CheckInvariants();

        // Follow-up requests that depend on the cached nodes, the hint and the cache contents.
        (ulong Size, ulong Limit, bool Aligned)[] followUps =
        [
            (7, 999, false), (64, 999, true), (1_999, 50_000, false), (3, twin.Dma32Pfn + 99, false), (1, 2_000, false),
        ];
        foreach ((ulong size, ulong limit, bool aligned) in followUps)
        {
            bool twinOk = twin.TryAllocate(size, limit, aligned, out IovaRange twinRange);
            bool touchedOk = touched.TryAllocate(size, limit, aligned, out IovaRange touchedRange);
            Assert.Equal((twinOk, twinRange), (touchedOk, touchedRange));
        }

        Assert.Equal(twin.TryAllocateFast(4, 4_000, false, out ulong twinPfn), touched.TryAllocateFast(4, 4_000, false, out ulong touchedPfn));
        Assert.Equal(twinPfn, touchedPfn);
        Assert.Equal(twin.GetRanges(), touched.GetRanges());
    }

    private static IovaDomainOptions Options() => new() { CpuCount = 2, DepotTrimInterval = Timeout.InfiniteTimeSpan };
}
