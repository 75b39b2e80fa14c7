namespace FastIova.Dma;

/// <summary>
/// One simulated CPU of a <see cref="DmaDomain"/>: its range caches (<see cref="IovaDomain.Cpu"/>) and, in
/// <see cref="DmaUnmapMode.Lazy"/>, its flush queue. Driven from one thread in a fixed order, every address equals the
/// kernel's. Obtain it with <see cref="DmaDomain.Cpu"/>.
/// </summary>
public sealed class DmaCpu : DmaMapper
{
    private readonly SimulatedCpu _cpu;

    internal DmaCpu(DmaDomain domain, SimulatedCpu cpu, FlushQueue? queue)
        : base(domain, queue) => _cpu = cpu;

    /// <summary>The CPU's index.</summary>
    public int Index => _cpu.Index;

    /// <summary>The IOVA-level view of the same CPU (its range caches).</summary>
    public SimulatedCpu Iova => _cpu;

    internal override bool TryAllocateFast(ulong pages, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
        Domain.Iova.AllocateFast(_cpu.Cache, pages, limitPfn, flushCachesOnFailure, out pfn, limitMayBeBelowStart: true);

    internal override void FreeFast(ulong pfn, ulong pages) => _cpu.FreeFast(pfn, pages);
}
