namespace FastIova.Perf.Scaling.Sources;

/// <summary>FastIova's fast path: the calling thread's magazines, the tree on a miss (flushing on failure, as dma-iommu does).</summary>
internal readonly struct FastPathSource(IovaDomain domain, ulong limitPfn) : IRangeSource
{
    /// <inheritdoc />
    public bool TryAllocate(ulong size, out ulong pfn) => domain.TryAllocateFast(size, limitPfn, flushCachesOnFailure: true, out pfn);

    /// <inheritdoc />
    public void Free(ulong pfn, ulong size) => domain.FreeFast(pfn, size);
}
