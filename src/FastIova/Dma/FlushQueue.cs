using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastIova.Caches;

namespace FastIova.Dma;

/// <summary>
/// One flush queue (Linux's <c>struct iova_fq</c>): a ring of unmapped IOVAs. An entry may be freed once a flush-all
/// that began after it was queued has completed, so that no IOTLB entry can still translate the range.
/// </summary>
/// <remarks>
/// <para>
/// Two kinds of queue, chosen when it is made. A <b>shared</b> queue (a simulated CPU's, or the single queue that
/// every mapper uses) keeps the kernel's rule: each entry is stamped with the domain's flush-start count, and any
/// flush-all lets the queue's next unmap free what it covers. It is locked with <c>lock (queue)</c>, Linux's
/// <c>fq-&gt;lock</c>, by every appender and reaper.
/// </para>
/// <para>
/// An <b>owned</b> queue (a thread's or a <see cref="DmaWorker"/>'s) has one appender, its owner, and its own flush
/// counts, so that no unmap reads, and no flush writes, a line that other cores use. Its owner flushes on its own
/// when the ring is full and frees all of it (every entry was queued before that flush began). The real timer holds
/// no busy owner's queue: it begins a cover (a new epoch, which the owner's later entries are stamped with), flushes,
/// and ends the cover, and the owner's next unmap frees what the cover made freeable, as a kernel CPU frees what
/// another's flush covered. A queue whose owner has gone, or has not unmapped since the last cover, is held by the
/// timer and freed whole; so are all of them by an explicit flush, Dispose and a simulated timer. The kernel's rule
/// differs in one way: any CPU's flush frees every queue, at the price of each unmap reading the domain's flush
/// counts and each flush moving their line to every other core (two threads on two cores kept 1.61-1.85x of one
/// thread's throughput with it, 1.96x without: perf/README.md, "Stop 19"). The owner and the reapers use the
/// asymmetric handshake of <see cref="FastIova.Caches.ThreadCache"/> (Dekker's, with the process-wide fence on the
/// reaper's side), so that an unmap pays two plain stores and two loads instead of an interlocked instruction.
/// </para>
/// <para>
/// Under either, a reap frees into a range cache, which may take the tree lock: the order is always queue, then tree.
/// <see cref="Count"/> is read without holding the queue.
/// </para>
/// </remarks>
internal sealed class FlushQueue
{
    /// <summary>A reap bound that covers every entry (<see cref="ReapAll"/>).</summary>
    private const long EveryEntry = long.MaxValue - 1;

    // The entries' pfns, in a ring. Their sizes and stamps are kept once per run of entries that share both (_runs):
    // stamps change only when a flush-all starts, and traffic mostly repeats a size, so the common append stores one
    // pfn, and a reap hands a run of pfns to a magazine straight from the ring (measured in DmaMapBenchmarks: the lazy
    // worker pair 5.32-5.52 ns with a size and a stamp stored per entry, 4.64-5.19 with runs).
    private readonly ulong[] _pfns;
    private readonly Run[] _runs;
    private readonly int _mask;
    private int _head;
    private int _tail;
    private int _runHead;
    private int _runTail;

    // Invariants (for whoever holds the queue): runs _runHead.._runTail-1 cover the entries, oldest first, the head
    // run's from _head and each later run's from its Start, each to the next run's Start or to _tail (a reap frees
    // whole runs, as their entries share a stamp). No run is empty, so there are never more runs than entries, and the
    // runs' ring, as large as the entries', never fills. _tailPages and _tailStamp are the last run's key (pages 0 when
    // there is none, which no entry has), so that an append compares two fields to know whether it extends it.
    private ulong _tailPages;
    private long _tailStamp;

    // Invariant: the flush-finish count from which the head entry may be freed, its run's stamp + 1, or long.MaxValue
    // when the ring is empty.
    private long _reapAt = long.MaxValue;

    // The owned queue's handshake: _busy is written by the owner only; _blocked (ReapRequested | Closed | Covering) by
    // the reapers, the timer and the owner, with interlocked read-modify-writes (none of them on the owner's hot path).
    // One word, so that the owner's append reads one flag word.
    private const int ReapRequested = 1;
    private const int Closed = 2;
    private const int Covering = 4;
    private int _busy;
    private int _blocked;

    // An owned queue's own flush counts, moved by the real timer only (BeginCover, EndCover): invariant _covered <=
    // _epoch. Its entries are stamped with _ownerStamp, the owner's copy of _epoch, refreshed whenever the timer sets
    // Covering (TakeCoverAsOwner); the owner's append reads only the flag word, which the timer sets after each move.
    private long _epoch;
    private long _covered;
    private long _ownerStamp;

    // Flush-alls an owned queue's owner made (written by the owner only; FlushQueues sums them).
    private long _ownFlushes;

    private readonly Thread? _ownerThread;
    private readonly WeakReference? _ownerHandle;

    /// <summary>Creates an empty shared ring of <paramref name="slots"/> entries (a power of two; one stays unused).</summary>
    public FlushQueue(int slots)
    {
        _pfns = new ulong[slots];
        _runs = new Run[slots];
        _mask = slots - 1;
    }

    /// <summary>Creates an empty ring owned by thread <paramref name="owner"/>.</summary>
    public FlushQueue(int slots, Thread owner)
        : this(slots) => (_ownerThread, IsOwned) = (owner, true);

    /// <summary>Creates an empty ring owned by a handle (a <see cref="DmaWorker"/>), held weakly so that an undisposed one can be collected.</summary>
    public FlushQueue(int slots, object owner)
        : this(slots) => (_ownerHandle, IsOwned) = (new WeakReference(owner), true);

    /// <summary>Whether one owner appends under the handshake (<see cref="EnterAsOwner"/>) rather than under <c>lock (queue)</c>.</summary>
    public bool IsOwned { get; }

    /// <summary>An owned queue whose owner can never append again: its thread has exited, or its handle was collected.</summary>
    public bool IsAbandoned => _ownerThread is not null ? !_ownerThread.IsAlive : _ownerHandle is not null && !_ownerHandle.IsAlive;

    /// <summary>Entries waiting (<c>fq_pending</c>'s share); a racy read where the queue is not held.</summary>
    public int Count => (Volatile.Read(ref _tail) - Volatile.Read(ref _head)) & _mask;

    /// <summary>Whether the ring is full (<c>fq_full</c>): the kernel keeps one slot free to tell full from empty.</summary>
    public bool IsFull => ((_tail + 1) & _mask) == _head;

    /// <summary>Whether the queue takes no more entries (its domain or worker was disposed).</summary>
    public bool IsClosed => (Volatile.Read(ref _blocked) & Closed) != 0;

    /// <summary>
    /// The owner's half of the handshake: announces itself, and waits while a reaper holds the queue. Pair with
    /// <see cref="ExitAsOwner"/> in a <c>finally</c>: a reaper waits for it.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The queue is closed.</exception>
    public void EnterAsOwner()
    {
        Volatile.Write(ref _busy, 1);
        if ((Volatile.Read(ref _blocked) & ReapRequested) != 0)
            WaitForReaper();
        if ((Volatile.Read(ref _blocked) & Closed) != 0)
        {
            Volatile.Write(ref _busy, 0);
            ThrowClosed();
        }
    }

    /// <summary>The owner leaves the queue.</summary>
    public void ExitAsOwner() => Volatile.Write(ref _busy, 0);

    /// <summary>
    /// Takes no more entries: later appends throw <see cref="ObjectDisposedException"/>. A shared queue is closed under
    /// its lock; an owned one by a reaper, before <see cref="RequestReap"/>.
    /// </summary>
    public void Close() => Interlocked.Or(ref _blocked, Closed);

    /// <summary>
    /// A reaper's first half: asks the owner to stay out. Under the reap gate; then
    /// <see cref="Interlocked.MemoryBarrierProcessWide"/>, then <see cref="WaitForOwner"/>.
    /// </summary>
    public void RequestReap() => Interlocked.Or(ref _blocked, ReapRequested);

    /// <summary>A reaper's second half: waits for the owner to leave; the reaper then holds the queue.</summary>
    public void WaitForOwner()
    {
        var spinner = new SpinWait();
        while (Volatile.Read(ref _busy) != 0)
            spinner.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>A reaper lets the owner back in.</summary>
    public void ReleaseReap() => Interlocked.And(ref _blocked, ~ReapRequested);

    /// <summary><c>fq_ring_add</c>: appends an entry at the tail. The caller holds the queue and has checked <see cref="IsFull"/>.</summary>
    public void Append(ulong pfn, ulong pages, long counter)
    {
        int tail = _tail;
        AppendAt(tail, (tail + 1) & _mask, pfn, pages, counter);
    }

    /// <summary>
    /// The owner's whole <c>queue_iova</c> when it needs no reap: under the handshake, if no reaper holds the queue, it
    /// is open, not full, and the timer has not moved its counts since the owner last looked, appends the entry.
    /// Otherwise false with nothing changed, and the owner takes <see cref="FlushQueues.Enqueue"/>.
    /// </summary>
    /// <remarks>
    /// The stamp is the owner's copy of the queue's epoch: the flag word read here, after the unmap, says the timer has
    /// not begun a cover since the copy was taken, so any flush the timer begins later began after this unmap.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAppendAsOwner(ulong pfn, ulong pages)
    {
        Volatile.Write(ref _busy, 1);
        int tail = _tail, next = (tail + 1) & _mask;
        if (Volatile.Read(ref _blocked) == 0 && next != _head)
        {
            AppendAt(tail, next, pfn, pages, _ownerStamp);
            Volatile.Write(ref _busy, 0);
            return true;
        }

        Volatile.Write(ref _busy, 0);
        return false;
    }

    /// <summary>The owner's append when it holds the queue (<see cref="EnterAsOwner"/>), after <see cref="TakeCoverAsOwner"/> and with room in the ring.</summary>
    public void AppendAsOwner(ulong pfn, ulong pages) => Append(pfn, pages, _ownerStamp);

    /// <summary>
    /// The owner, holding the queue, takes up what the timer has moved: clears <c>Covering</c>, then refreshes its
    /// stamp from the epoch. Returns the bound below which its entries' stamps are covered (for <see cref="Reap"/>).
    /// </summary>
    /// <remarks>
    /// Clearing first: a cover the timer begins after the clear sets the flag again, so the owner's next append comes
    /// back here; one that began before it is in the epoch read next.
    /// </remarks>
    public long TakeCoverAsOwner()
    {
        if ((Volatile.Read(ref _blocked) & Covering) != 0)
        {
            Interlocked.And(ref _blocked, ~Covering);
            _ownerStamp = Volatile.Read(ref _epoch);
        }

        return Volatile.Read(ref _covered);
    }

    /// <summary>
    /// The real timer, before its flush-all, without holding the queue: a new epoch, so that the owner's later entries
    /// are stamped past what this flush will cover.
    /// </summary>
    public void BeginCover()
    {
        Volatile.Write(ref _epoch, _epoch + 1);
        Interlocked.Or(ref _blocked, Covering);
    }

    /// <summary>The real timer, after its flush-all: every entry stamped before this cover's epoch may be freed, by the owner's next unmap.</summary>
    public void EndCover()
    {
        Volatile.Write(ref _covered, _epoch);
        Interlocked.Or(ref _blocked, Covering);
    }

    /// <summary>
    /// Whether entries that an earlier cover made freeable are still queued: the owner has not unmapped since it (its
    /// next unmap would have freed them). A racy read, for the timer's choice of whom to hold.
    /// </summary>
    public bool HoldsCoveredEntries => HeadReapable(Volatile.Read(ref _covered));

    /// <summary>Flush-alls this owned queue's owner made when its ring was full; a racy read.</summary>
    public long OwnFlushes => Volatile.Read(ref _ownFlushes);

    /// <summary>The owner counts a flush-all of its own.</summary>
    public void CountOwnFlush() => Volatile.Write(ref _ownFlushes, _ownFlushes + 1);

    /// <summary>Frees every entry (see <see cref="Reap"/>): what a flush-all made while the queue was held covers.</summary>
    public int ReapAll(IIovaSink sink, ThreadCache? cache = null, ulong hotPages = 0) => Reap(EveryEntry, sink, cache, hotPages);

    /// <summary>Whether the head entry may be freed: the queue is not empty and the head was stamped before <paramref name="finished"/>.</summary>
    public bool CanReap(long finished) => HeadReapable(finished);

    /// <summary>
    /// <c>fq_ring_free_locked</c>: from the head, frees every entry stamped before <paramref name="finished"/> through
    /// <paramref name="sink"/>, stopping at the first that is not (stamps only grow along the ring). Caller holds the
    /// queue. For an owner that holds its cache (<paramref name="cache"/>, with <paramref name="hotPages"/> above 0),
    /// runs of entries of one size its hot path takes go into the cache's loaded magazine together while it has room,
    /// in the same order; the rest go one by one through <paramref name="sink"/>.
    /// </summary>
    /// <returns>Entries freed.</returns>
    public int Reap(long finished, IIovaSink sink, ThreadCache? cache = null, ulong hotPages = 0)
    {
        int head = _head, freed = 0;
        while (HeadReapable(finished))
        {
            int run = _runHead, nextRun = (run + 1) & _mask;
            bool last = nextRun == _runTail;
            int end = last ? _tail : _runs[nextRun].Start;
            ulong pages = _runs[run].Pages;
            int sizeClass = pages - 1 < hotPages ? SizeClass.Of(pages) : -1; // -1: not a size the cache takes here
            while (head != end)
            {
                int taken = 0;
                if (sizeClass >= 0)
                {
                    // A stretch stops at the ring's end (the next one starts at slot 0), so no index wraps inside it.
                    int length = (head < end ? end : _pfns.Length) - head;
                    // A run of one (traffic whose sizes alternate) takes the single insert, whose cost is the entry's
                    // rather than a copy's (4 and 8 KiB pairs alternating: 13.1-14.3 -> 11.1-12.1 ns a pair).
                    taken = length == 1 ? (cache!.TryInsertLoaded(sizeClass, _pfns[head]) ? 1 : 0)
                        : cache!.InsertLoaded(sizeClass, _pfns.AsSpan(head, length));
                }

                if (taken == 0)
                {
                    sink.FreeIova(_pfns[head], pages);
                    taken = 1;
                }

                head = (head + taken) & _mask;
                Volatile.Write(ref _head, head);
                freed += taken;
            }

            _runHead = nextRun;
            if (last)
            {
                _reapAt = long.MaxValue;
                _tailPages = 0;
            }
            else
            {
                _reapAt = _runs[nextRun].Stamp + 1;
            }
        }

        return freed;
    }

    // The entry goes at `tail` (the ring has room), extending the last run when it shares its size and stamp. The tail
    // moves last, with a release write, as Count is read without holding the queue.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AppendAt(int tail, int next, ulong pfn, ulong pages, long stamp)
    {
        if (pages != _tailPages || stamp != _tailStamp)
            StartRun(tail, pages, stamp);
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pfns), tail) = pfn; // tail is a masked ring index
        Volatile.Write(ref _tail, next);
    }

    // A new last run, from slot `start`; the first run of an empty ring also sets the head's reap point.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StartRun(int start, ulong pages, long stamp)
    {
        int run = _runTail;
        _runs[run] = new Run(start, pages, stamp);
        _runTail = (run + 1) & _mask;
        if (run == _runHead)
            _reapAt = stamp + 1;
        (_tailPages, _tailStamp) = (pages, stamp);
    }

    // The rule every reap decision uses: the oldest entry may be freed once a flush-all begun after it has completed
    // (its stamp is below the finish count; never, when the ring is empty).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HeadReapable(long finished) => finished >= _reapAt;

    private void WaitForReaper()
    {
        var spinner = new SpinWait();
        do
        {
            // Step aside so the reaper's wait for _busy == 0 ends, wait for it to finish, and announce again.
            Volatile.Write(ref _busy, 0);
            while ((Volatile.Read(ref _blocked) & ReapRequested) != 0)
                spinner.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref _busy, 1);
        }
        while ((Volatile.Read(ref _blocked) & ReapRequested) != 0);
    }

    private static void ThrowClosed() => throw new ObjectDisposedException(nameof(DmaDomain), "The flush queue is closed: its domain or worker has been disposed.");

    // Entries from Start on (up to the next run) were unmapped with one size and stamped with one flush-start count.
    private readonly record struct Run(int Start, ulong Pages, long Stamp);
}
