using System.Runtime.CompilerServices;

namespace FastIova.Caches;

/// <summary>
/// A cache with one owner at a time: a thread (found through the thread-static lookup) or an <see cref="IovaCache"/>
/// handle, whose holder promises not to use it from two threads at once. Only the owner looks up and inserts, so a hit
/// takes no lock and no interlocked instruction; another thread that must empty it (a flush, Dispose, or reclaiming it
/// once the owner is gone) uses an asymmetric handshake instead of a lock.
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

    private readonly Thread? _ownerThread;
    private readonly WeakReference? _ownerHandle;

    /// <summary>A cache of thread <paramref name="owner"/>.</summary>
    public ThreadCache(RangeCaches caches, Thread owner)
        : base(caches, caches.SpareMagazines)
    {
        Caches = caches;
        _ownerThread = owner;
    }

    /// <summary>The cache behind an <see cref="IovaCache"/>, held weakly so that an undisposed handle can be collected.</summary>
    public ThreadCache(RangeCaches caches, IovaCache owner)
        : base(caches, caches.SpareMagazines)
    {
        Caches = caches;
        _ownerHandle = new WeakReference(owner);
    }

    /// <summary>The cache set this cache belongs to (a thread's slot table may hold caches of disposed domains).</summary>
    public RangeCaches Caches { get; }

    /// <summary>The owner can never use the cache again: its thread has exited, or its handle was collected undisposed.</summary>
    public bool IsAbandoned => _ownerThread is not null ? !_ownerThread.IsAlive : !_ownerHandle!.IsAlive;

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

    /// <summary>
    /// Many of <see cref="TryInsertLoaded"/> under one handshake: the first of <paramref name="pfns"/>, in order, that
    /// <c>loaded</c> has room for. Returns how many went in (0 while a flush holds the cache).
    /// </summary>
    public int InsertLoaded(int sizeClass, ReadOnlySpan<ulong> pfns)
    {
        Volatile.Write(ref _busy, 1);
        int inserted = Volatile.Read(ref _flushRequested) == 0 ? InsertLoadedRunExclusive(sizeClass, pfns) : 0;
        Volatile.Write(ref _busy, 0);
        return inserted;
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
