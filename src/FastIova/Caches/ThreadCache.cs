using System.Runtime.CompilerServices;

namespace FastIova.Caches;

/// <summary>
/// A thread's own cache. Only the owning thread looks up and inserts, so a hit takes no lock and no interlocked
/// instruction; another thread that must empty it (a flush, Dispose, or reclaiming it after the owner exited) uses an
/// asymmetric handshake instead of a lock.
/// </summary>
/// <remarks>
/// The handshake (Dekker's, with the heavy fence on the rare side): the owner writes <c>_busy = 1</c>, then reads
/// <c>_flushRequested</c>, and stays out of the magazines if it is set. A flusher writes <c>_flushRequested = 1</c>,
/// runs <see cref="Interlocked.MemoryBarrierProcessWide"/>, then waits until it reads <c>_busy == 0</c>. The
/// process-wide barrier acts as a full fence inside the owner's instruction stream: if it lands after the owner's
/// write of <c>_busy</c>, the flusher sees that write and waits; if before, the owner's later read sees the request.
/// Either way they never both hold the magazines. The owner pays two plain stores and a load per operation.
/// </remarks>
internal sealed class ThreadCache : RangeCache
{
    private int _busy;
    private int _flushRequested;

    public ThreadCache(RangeCaches caches, Thread owner)
        : base(caches)
    {
        Caches = caches;
        Owner = owner;
    }

    /// <summary>The cache set this cache belongs to (a thread's slot table may hold caches of disposed domains).</summary>
    public RangeCaches Caches { get; }

    /// <summary>The owning thread; once it has exited, the cache is reclaimed.</summary>
    public Thread Owner { get; }

    /// <summary>The domain's hot path: a hit on the last entry of <c>loaded</c>, under the same handshake as <see cref="TryGet"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetLastLoaded(int sizeClass, ulong maxStart, out ulong pfn)
    {
        pfn = 0;
        Volatile.Write(ref _busy, 1);
        bool hit = Volatile.Read(ref _flushRequested) == 0 && GetLastLoadedExclusive(sizeClass, maxStart, out pfn);
        Volatile.Write(ref _busy, 0);
        return hit;
    }

    /// <summary>The domain's hot path: an insert into <c>loaded</c> while it has room.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryInsertLoaded(int sizeClass, ulong pfn)
    {
        Volatile.Write(ref _busy, 1);
        bool done = Volatile.Read(ref _flushRequested) == 0 && InsertLoadedExclusive(sizeClass, pfn);
        Volatile.Write(ref _busy, 0);
        return done;
    }

    public override bool TryGet(int sizeClass, ulong maxStart, out ulong pfn)
    {
        Volatile.Write(ref _busy, 1);
        if (Volatile.Read(ref _flushRequested) != 0)
        {
            // A flush is emptying this cache: go to the tree rather than wait for it.
            Volatile.Write(ref _busy, 0);
            pfn = 0;
            return false;
        }

        bool hit = GetExclusive(sizeClass, maxStart, out pfn);
        Volatile.Write(ref _busy, 0);
        return hit;
    }

    public override bool TryInsert(int sizeClass, ulong pfn)
    {
        Volatile.Write(ref _busy, 1);
        if (Volatile.Read(ref _flushRequested) != 0)
        {
            Volatile.Write(ref _busy, 0);
            return false;
        }

        InsertExclusive(sizeClass, pfn);
        Volatile.Write(ref _busy, 0);
        return true;
    }

    /// <summary>First half of a flush: asks the owner to stay out. Call under the cache set's flush gate.</summary>
    public void RequestFlush() => Volatile.Write(ref _flushRequested, 1);

    /// <summary>
    /// Second half, after <see cref="Interlocked.MemoryBarrierProcessWide"/>: waits for the owner to leave, frees
    /// every cached pfn to the tree and, unless <paramref name="keepClosed"/>, lets the owner back in.
    /// </summary>
    public void CompleteFlush(IovaDomain domain, bool keepClosed)
    {
        var spinner = new SpinWait();
        while (Volatile.Read(ref _busy) != 0)
            spinner.SpinOnce(sleep1Threshold: -1);

        FlushExclusive(domain);
        if (!keepClosed)
            Volatile.Write(ref _flushRequested, 0);
    }

    /// <summary>After a final <see cref="CompleteFlush"/> with keepClosed: hands the empty magazines back to the pool.</summary>
    public void Retire() => ReturnMagazinesExclusive();
}
