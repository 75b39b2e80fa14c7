namespace FastIova.Dma;

/// <summary>
/// Where the real flush timer frees what it reaps: one range cache of the domain's, kept for the timer.
/// </summary>
/// <remarks>
/// <para>
/// The kernel's timer frees into the range cache of the CPU that armed it. A thread or worker cannot lend its cache to
/// the timer's thread (a cache has one user at a time), and freeing through the timer thread's own cache would leave
/// ranges in the caches of whichever thread-pool threads ran the timer, each holding up to three magazines per size
/// class until that thread exits. One cache for the timer keeps them in one place: the magazines it fills beyond its
/// own three go to the depot, where every thread's and worker's cache finds them on a miss, and a failing
/// allocation's flush, or <see cref="IovaDomain.FlushCaches"/>, empties it as it empties every other cache.
/// </para>
/// <para>
/// Used only under the flush queues' timer gate (one timer run at a time). The cache is made on first use, so that a
/// domain whose timer never fires counts no extra cache (<see cref="IovaStatistics.ThreadCaches"/>).
/// </para>
/// </remarks>
internal sealed class DmaTimerCache(IovaDomain iova) : IIovaSink, IDisposable
{
    private IovaCache? _cache;

    /// <inheritdoc />
    public void FreeIova(ulong pfn, ulong pages) => (_cache ??= iova.CreateCache()).FreeFast(pfn, pages);

    /// <summary>Returns the cached ranges to the tree (after the domain's Dispose, when the timer can no longer run).</summary>
    public void Dispose() => _cache?.Dispose();
}
