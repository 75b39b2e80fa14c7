using FastIova.Perf.Baselines;

namespace FastIova.Perf.Scaling.Sources;

/// <summary>The "just lock it" baseline.</summary>
internal readonly struct GlobalLockSource(GlobalLockAllocator allocator, ulong limitPfn) : IRangeSource
{
    /// <inheritdoc />
    public bool TryAllocate(ulong size, out ulong pfn) => allocator.TryAllocate(size, limitPfn, sizeAligned: false, out pfn);

    /// <inheritdoc />
    public void Free(ulong pfn, ulong size) => allocator.Free(pfn);
}
