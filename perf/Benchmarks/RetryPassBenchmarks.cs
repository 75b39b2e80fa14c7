using BenchmarkDotNet.Attributes;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Benchmarks;

/// <summary>
/// The allocation that only the retry pass can satisfy, with N live ranges above the only hole
/// (<see cref="RetryOnlyScenario"/>), with FastIova's search and with the kernel's walk. One operation is the
/// allocation plus the restore (free the range, free and re-allocate the bottom range: three O(log n) steps that
/// put the cached node back); <c>perf retry</c> times the allocation alone.
/// </summary>
[MemoryDiagnoser]
public class RetryPassBenchmarks
{
    private RetryOnlyScenario _scenario = null!;

    /// <summary>Live ranges between the hole and the limit.</summary>
    [Params(1_000, 10_000, 100_000, 1_000_000)]
    public int RangesAboveHole { get; set; }

    /// <summary>64-bit limit, or 32-bit limit on a domain that also holds as many 64-bit ranges.</summary>
    [Params(RetryLimit.Bits64, RetryLimit.Bits32)]
    public RetryLimit Limit { get; set; }

    /// <summary>FastIova's search or the kernel's walk.</summary>
    [Params(Implementation.Augmented, Implementation.LinearWalk)]
    public Implementation Impl { get; set; }

    /// <summary>Builds the scenario and checks that the allocation lands in the hole.</summary>
    [GlobalSetup]
    public void Setup() => _scenario = RetryOnlyScenario.Build(RangesAboveHole, Limit, Impl.ToDomainOptions());

    /// <summary>Releases the domain.</summary>
    [GlobalCleanup]
    public void Cleanup() => _scenario.Dispose();

    /// <summary>The retry-only allocation, then the restore.</summary>
    [Benchmark]
    public ulong RetryAllocation()
    {
        ulong pfn = _scenario.AllocateInHole();
        _scenario.Restore();
        return pfn;
    }
}
