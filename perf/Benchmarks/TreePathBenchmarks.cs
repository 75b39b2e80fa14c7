using BenchmarkDotNet.Attributes;
using FastIova.Perf.Baselines;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Benchmarks;

/// <summary>
/// An 8-pfn <c>TryAllocate</c> and the <c>Free</c> of the same range on a domain with N live ranges left by random
/// frees (<see cref="FragmentedDomain"/>). The free gives the state back (the allocation lands in the same gap
/// every time), so all iterations measure the same work.
/// </summary>
[MemoryDiagnoser]
public class TreePathBenchmarks
{
    private const ulong Size = 8;

    private IovaDomain _domain = null!;
    private GlobalLockAllocator? _globalLock;
    private ulong _limitPfn;

    /// <summary>Live ranges in the domain.</summary>
    [Params(1_000, 10_000, 100_000, 1_000_000)]
    public int LiveRanges { get; set; }

    /// <summary>FastIova's search, the kernel's walk, or the global-lock baseline on the same ranges.</summary>
    [Params(Implementation.Augmented, Implementation.LinearWalk, Implementation.GlobalLock)]
    public Implementation Impl { get; set; }

    /// <summary>Builds the fragmented state (the baseline gets a copy of the same ranges).</summary>
    [GlobalSetup]
    public void Setup()
    {
        Implementation domainImpl = Impl == Implementation.GlobalLock ? Implementation.Augmented : Impl;
        _domain = FragmentedDomain.Build(LiveRanges, domainImpl.ToDomainOptions());
        _limitPfn = FragmentedDomain.LimitPfn(_domain);
        if (Impl == Implementation.GlobalLock)
        {
            _globalLock = new GlobalLockAllocator(FragmentedDomain.StartPfn, _domain.GetRanges());
        }
    }

    /// <summary>Releases the domain.</summary>
    [GlobalCleanup]
    public void Cleanup() => _domain.Dispose();

    /// <summary>One allocation and the free of the same range.</summary>
    [Benchmark]
    public ulong AllocateFree()
    {
        if (_globalLock is { } globalLock)
        {
            if (!globalLock.TryAllocate(Size, _limitPfn, sizeAligned: false, out ulong pfn))
            {
                throw new InvalidOperationException("Global-lock allocation failed.");
            }

            globalLock.Free(pfn);
            return pfn;
        }

        if (!_domain.TryAllocate(Size, _limitPfn, sizeAligned: false, out IovaRange range))
        {
            throw new InvalidOperationException("Tree allocation failed.");
        }

        _domain.Free(range.PfnLo);
        return range.PfnLo;
    }
}
