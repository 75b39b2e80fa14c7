namespace FastIova.Dma;

/// <summary>
/// The mapper behind <see cref="DmaDomain"/>'s own map methods for one thread: the thread's range cache (the IOVA
/// domain's per-thread fast path) and, in per-CPU lazy mode, a flush queue of the thread's own. Found through
/// <see cref="DmaDomain"/>'s thread-static lookup; used only by its thread, except by the reapers of its queue.
/// </summary>
/// <remarks>
/// Its hot paths use the thread's cache, found once when the mapper is made on its thread (null while the domain
/// records, when they are closed). Should that cache be retired while the thread lives, they would only miss: the
/// rules look the cache up anew on every call.
/// </remarks>
internal sealed class DmaThreadMapper(DmaDomain domain, FlushQueue? queue)
    : DmaMapper(domain, queue, domain.Iova.CurrentThreadCache())
{
    private readonly IovaDomain _iova = domain.Iova;

    internal override bool TryAllocateFast(ulong pages, ulong limitPfn, bool flushCachesOnFailure, out ulong pfn) =>
        limitPfn >= _iova.StartPfn
            ? _iova.TryAllocateFast(pages, limitPfn, flushCachesOnFailure, out pfn)
            : _iova.AllocateFast(null, pages, limitPfn, flushCachesOnFailure, out pfn, limitMayBeBelowStart: true);

    // The calling thread's cache, whichever thread that is: the timer of a simulated domain may free through this
    // mapper from the thread that fires it.
    internal override void FreeFast(ulong pfn, ulong pages) => _iova.FreeFast(pfn, pages);
}
