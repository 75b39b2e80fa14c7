namespace FastIova.Perf.Scaling.Sources;

/// <summary>FastIova's uncached path: every operation takes the tree lock (alloc_iova / free_iova).</summary>
internal readonly struct TreePathSource(IovaDomain domain, ulong limitPfn) : IRangeSource
{
    /// <inheritdoc />
    public bool TryAllocate(ulong size, out ulong pfn)
    {
        bool ok = domain.TryAllocate(size, limitPfn, sizeAligned: false, out IovaRange range);
        pfn = range.PfnLo;
        return ok;
    }

    /// <inheritdoc />
    public void Free(ulong pfn, ulong size) => domain.Free(pfn);
}
