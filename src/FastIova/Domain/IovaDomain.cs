namespace FastIova;

// TEMPORARY API CONTRACT: bodies are being implemented; signatures are final.
/// <summary>An IOVA domain (API contract; implementation in progress).</summary>
public sealed class IovaDomain : IDisposable
{
    /// <summary>Creates a domain.</summary>
    public IovaDomain(ulong granule, ulong startPfn, IovaDomainOptions? options = null) => throw new NotImplementedException();
    /// <summary>Granule in bytes (power of two).</summary>
    public ulong Granule => throw new NotImplementedException();
    /// <summary>Lowest pfn allocations may use.</summary>
    public ulong StartPfn => throw new NotImplementedException();
    /// <summary>First pfn at or above 4 GiB: 2^(32 - log2 granule).</summary>
    public ulong Dma32Pfn => throw new NotImplementedException();
    /// <summary>Highest pfn any argument may name.</summary>
    public ulong MaxPfn => throw new NotImplementedException();
    /// <summary>Number of simulated CPUs.</summary>
    public int CpuCount => throw new NotImplementedException();
    /// <summary>Ranges in the tree (anchor excluded, cached ranges included).</summary>
    public int Count => throw new NotImplementedException();
    /// <summary>alloc_iova.</summary>
    public bool TryAllocate(ulong size, ulong limitPfn, bool sizeAligned, out IovaRange range) => throw new NotImplementedException();
    /// <summary>alloc_iova, throwing IovaExhaustedException on failure.</summary>
    public IovaRange Allocate(ulong size, ulong limitPfn, bool sizeAligned = false) => throw new NotImplementedException();
    /// <summary>free_iova of the range containing pfn; false if none.</summary>
    public bool Free(ulong pfn) => throw new NotImplementedException();
    /// <summary>find_iova.</summary>
    public IovaRange? Find(ulong pfn) => throw new NotImplementedException();
    /// <summary>reserve_iova.</summary>
    public IovaRange Reserve(ulong pfnLo, ulong pfnHi) => throw new NotImplementedException();
    /// <summary>Address-ordered snapshot of the live ranges.</summary>
    public IovaRange[] GetRanges() => throw new NotImplementedException();
    /// <summary>alloc_iova_fast through the calling thread's cache.</summary>
    public bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) => throw new NotImplementedException();
    /// <summary>free_iova_fast through the calling thread's cache.</summary>
    public void FreeFast(ulong pfn, ulong size) => throw new NotImplementedException();
    /// <summary>The simulated CPU <paramref name="index"/> (0..CpuCount-1).</summary>
    public SimulatedCpu Cpu(int index) => throw new NotImplementedException();
    /// <summary>free_cpu_cached_iovas for every CPU and thread cache, then free_global_cached_iovas.</summary>
    public void FlushCaches() => throw new NotImplementedException();
    /// <summary>free_global_cached_iovas: frees every magazine in the depots.</summary>
    public void FlushDepot() => throw new NotImplementedException();
    /// <summary>One run of the kernel's depot trim work.</summary>
    public void TrimDepot() => throw new NotImplementedException();
    /// <summary>A snapshot of counters.</summary>
    public IovaStatistics GetStatistics() => throw new NotImplementedException();
    /// <summary>Validates every tree invariant; throws InvalidOperationException naming the broken one.</summary>
    internal void CheckInvariants() => throw new NotImplementedException();
    /// <inheritdoc />
    public void Dispose() => throw new NotImplementedException();
}

/// <summary>A simulated CPU's range caches (API contract).</summary>
public sealed class SimulatedCpu
{
    private SimulatedCpu() { }
    /// <summary>The CPU index.</summary>
    public int Index => throw new NotImplementedException();
    /// <summary>alloc_iova_fast on this CPU.</summary>
    public bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) => throw new NotImplementedException();
    /// <summary>free_iova_fast on this CPU.</summary>
    public void FreeFast(ulong pfn, ulong size) => throw new NotImplementedException();
    /// <summary>free_cpu_cached_iovas for this CPU.</summary>
    public void Flush() => throw new NotImplementedException();
}

