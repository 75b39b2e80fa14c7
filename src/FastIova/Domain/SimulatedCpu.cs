using FastIova.Caches;

namespace FastIova;

/// <summary>
/// One simulated CPU's range caches, for simulators that model N CPUs (often on one thread). Used from one thread in a
/// fixed order, the results equal the Linux kernel's exactly; it stays safe when several threads share it.
/// Obtain it with <see cref="IovaDomain.Cpu"/>.
/// </summary>
public sealed class SimulatedCpu
{
    private readonly IovaDomain _domain;
    private readonly CpuCache _cache;

    internal SimulatedCpu(IovaDomain domain, CpuCache cache, int index)
    {
        _domain = domain;
        _cache = cache;
        Index = index;
    }

    /// <summary>The cache itself, for the DMA layer's mapper on this CPU.</summary>
    internal CpuCache Cache => _cache;

    /// <summary>The CPU's index in its domain.</summary>
    public int Index { get; }

    /// <summary><c>alloc_iova_fast</c> on this CPU; see <see cref="IovaDomain.TryAllocateFast"/>.</summary>
    /// <param name="size">Pfns wanted, at least 1.</param>
    /// <param name="limitPfn">The highest pfn the range may use (inclusive).</param>
    /// <param name="flushCachesOnFailure">On failure, flush every cache and the depots and retry once.</param>
    /// <param name="pfn">The first pfn of the range, or 0 on failure.</param>
    /// <returns>Whether a range was obtained.</returns>
    public bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
        _domain.AllocateFast(_cache, size, limitPfn, flushCachesOnFailure, out pfn);

    /// <summary><c>free_iova_fast</c> on this CPU; see <see cref="IovaDomain.FreeFast"/>.</summary>
    /// <param name="pfn">The first pfn of a range obtained from a fast-path allocation.</param>
    /// <param name="size">The size passed when it was allocated.</param>
    public void FreeFast(ulong pfn, ulong size) => _domain.FreeFastVia(_cache, pfn, size);

    /// <summary><c>free_cpu_cached_iovas</c>: frees this CPU's cached ranges, class by class, to the tree.</summary>
    public void Flush() => _domain.FlushCpu(_cache);
}
