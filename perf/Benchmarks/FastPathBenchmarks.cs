using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastIova.Perf.Baselines;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Benchmarks;

/// <summary>
/// One allocation and one free of the same size on one thread: FastIova's fast path (the calling thread's cache, and an
/// owned <see cref="IovaCache"/>), FastIova's tree path on a near-empty domain, the global-lock baseline, and <see cref="ArrayPool{T}.Shared"/>
/// renting and returning as many bytes as the range covers. The fast path must allocate 0 bytes.
/// </summary>
[MemoryDiagnoser]
public class FastPathBenchmarks
{
    private IovaDomain _domain = null!;
    private IovaCache _cache = null!;
    private GlobalLockAllocator _globalLock = null!;
    private ulong _limitPfn;

    /// <summary>Range size in pages (pfns of 4 KiB).</summary>
    [Params(1, 2, 4, 8, 16, 32)]
    public int Pages { get; set; }

    /// <summary>Creates the domain under a 32-bit limit, as a DMA mapping for a 32-bit device would.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _domain = new IovaDomain(FragmentedDomain.Granule, FragmentedDomain.StartPfn);
        _limitPfn = _domain.Dma32Pfn - 1;
        _cache = _domain.CreateCache();
        _globalLock = new GlobalLockAllocator(FragmentedDomain.StartPfn);
    }

    /// <summary>Releases the domain.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _domain.Dispose();
    }

    /// <summary><c>TryAllocateFast</c> then <c>FreeFast</c>: after the first call both hit the thread's magazine.</summary>
    [Benchmark(Baseline = true)]
    public ulong FastPath()
    {
        ulong size = (ulong)Pages;
        if (!_domain.TryAllocateFast(size, _limitPfn, flushCachesOnFailure: false, out ulong pfn))
        {
            throw new InvalidOperationException("Fast-path allocation failed.");
        }

        _domain.FreeFast(pfn, size);
        return pfn;
    }

    /// <summary>The same pair through an owned cache: no thread-static lookup per call.</summary>
    [Benchmark]
    public ulong OwnedCache()
    {
        ulong size = (ulong)Pages;
        if (!_cache.TryAllocateFast(size, _limitPfn, flushCachesOnFailure: false, out ulong pfn))
        {
            throw new InvalidOperationException("Owned-cache allocation failed.");
        }

        _cache.FreeFast(pfn, size);
        return pfn;
    }

    /// <summary><c>TryAllocate</c> then <c>Free</c> through the tree and its lock, no cache.</summary>
    [Benchmark]
    public ulong TreePath()
    {
        if (!_domain.TryAllocate((ulong)Pages, _limitPfn, sizeAligned: true, out IovaRange range))
        {
            throw new InvalidOperationException("Tree allocation failed.");
        }

        _domain.Free(range.PfnLo);
        return range.PfnLo;
    }

    /// <summary>The "just lock it" port: Monitor, sorted set, first fit from the top.</summary>
    [Benchmark]
    public ulong GlobalLock()
    {
        if (!_globalLock.TryAllocate((ulong)Pages, _limitPfn, sizeAligned: true, out ulong pfn))
        {
            throw new InvalidOperationException("Global-lock allocation failed.");
        }

        _globalLock.Free(pfn);
        return pfn;
    }

    /// <summary>The runtime's own pooled allocator, for scale: Rent and Return of the same number of bytes.</summary>
    [Benchmark]
    public int ArrayPoolRentReturn()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Pages * (int)FragmentedDomain.Granule);
        ArrayPool<byte>.Shared.Return(buffer);
        return buffer.Length;
    }
}
