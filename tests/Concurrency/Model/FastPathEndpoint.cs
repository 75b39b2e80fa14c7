namespace FastIova.Tests.Concurrency.Model;

/// <summary>
/// One way into the fast path (the calling thread's cache, an owned <see cref="IovaCache"/>, or a simulated CPU's), bound to the ledger so that every
/// range taken is claimed and every range given back is released first.
/// </summary>
internal abstract class FastPathEndpoint(OwnershipLedger ledger, string owner)
{
    /// <summary>The fast path through the calling thread's cache.</summary>
    public static FastPathEndpoint Thread(IovaDomain domain, OwnershipLedger ledger, string owner) => new ThreadCacheEndpoint(domain, ledger, owner);

    /// <summary>The fast path through an owned cache.</summary>
    public static FastPathEndpoint Owned(IovaCache cache, OwnershipLedger ledger, string owner) => new OwnedCacheEndpoint(cache, ledger, owner);

    /// <summary>The fast path through a simulated CPU's cache.</summary>
    public static FastPathEndpoint Cpu(SimulatedCpu cpu, OwnershipLedger ledger, string owner) => new CpuCacheEndpoint(cpu, ledger, owner);

    /// <summary>Allocates <paramref name="size"/> pfns (a power of two, so the range is exactly that long) and claims them.</summary>
    /// <param name="size">Pfns; a power of two within the cached classes.</param>
    /// <param name="limitPfn">The highest pfn allowed.</param>
    /// <param name="flushCachesOnFailure">Flush every cache and retry once before failing.</param>
    public IovaRange? Take(ulong size, ulong limitPfn = SmallDomain.RoomyLimit, bool flushCachesOnFailure = false)
    {
        if (!TryAllocateFast(size, limitPfn, flushCachesOnFailure, out ulong pfn))
        {
            return null;
        }

        var range = new IovaRange(pfn, pfn + size - 1);
        ledger.Claim(range, owner);
        return range;
    }

    /// <summary>Releases <paramref name="range"/> from the ledger, then frees it through this endpoint's cache.</summary>
    /// <param name="range">A range taken through any endpoint of the same domain.</param>
    public void Give(IovaRange range)
    {
        ledger.Release(range);
        FreeFast(range.PfnLo, range.Size);
    }

    protected abstract bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn);

    protected abstract void FreeFast(ulong pfn, ulong size);

    private sealed class ThreadCacheEndpoint(IovaDomain domain, OwnershipLedger ledger, string owner) : FastPathEndpoint(ledger, owner)
    {
        protected override bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
            domain.TryAllocateFast(size, limitPfn, flushCachesOnFailure, out pfn);

        protected override void FreeFast(ulong pfn, ulong size) => domain.FreeFast(pfn, size);
    }

    private sealed class OwnedCacheEndpoint(IovaCache cache, OwnershipLedger ledger, string owner) : FastPathEndpoint(ledger, owner)
    {
        protected override bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
            cache.TryAllocateFast(size, limitPfn, flushCachesOnFailure, out pfn);

        protected override void FreeFast(ulong pfn, ulong size) => cache.FreeFast(pfn, size);
    }

    private sealed class CpuCacheEndpoint(SimulatedCpu cpu, OwnershipLedger ledger, string owner) : FastPathEndpoint(ledger, owner)
    {
        protected override bool TryAllocateFast(ulong size, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
            cpu.TryAllocateFast(size, limitPfn, flushCachesOnFailure, out pfn);

        protected override void FreeFast(ulong pfn, ulong size) => cpu.FreeFast(pfn, size);
    }
}
