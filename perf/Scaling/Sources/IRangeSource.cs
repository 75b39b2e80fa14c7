namespace FastIova.Perf.Scaling.Sources;

/// <summary>
/// One allocator as the scaling workloads see it: allocate a size under the workload's limit, free it again.
/// Implemented by structs so that the generic workers call them without an interface dispatch.
/// </summary>
internal interface IRangeSource
{
    /// <summary>Allocates <paramref name="size"/> pfns.</summary>
    bool TryAllocate(ulong size, out ulong pfn);

    /// <summary>Frees what <see cref="TryAllocate"/> returned for the same size.</summary>
    void Free(ulong pfn, ulong size);
}
