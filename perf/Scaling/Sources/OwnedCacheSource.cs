namespace FastIova.Perf.Scaling.Sources;

/// <summary>FastIova's fast path through an <see cref="IovaCache"/> the worker owns: no per-call thread lookup.</summary>
internal readonly struct OwnedCacheSource(IovaCache cache, ulong limitPfn) : IRangeSource
{
    /// <inheritdoc />
    public bool TryAllocate(ulong size, out ulong pfn) => cache.TryAllocateFast(size, limitPfn, flushCachesOnFailure: true, out pfn);

    /// <inheritdoc />
    public void Free(ulong pfn, ulong size) => cache.FreeFast(pfn, size);
}
