namespace FastIova.Dma;

/// <summary>
/// One flush queue (Linux's <c>struct iova_fq</c>): a ring of unmapped IOVAs, each stamped with the flush-start count
/// at the time it was queued. An entry may be freed once the flush-finish count has passed its stamp: a flush-all
/// that began after the unmap has completed, so no IOTLB entry can still translate the range.
/// </summary>
/// <remarks>
/// The owner's lock is the queue object itself (<c>lock (queue)</c>, Linux's <c>fq-&gt;lock</c>): taken by the unmaps that
/// append and by the reaps of other threads (the timer, a flush). Under it the reap frees into a range cache, which may
/// take the tree lock: the order is always queue, then tree. <see cref="Count"/> is read without the lock.
/// </remarks>
internal sealed class FlushQueue
{
    private readonly Entry[] _entries;
    private readonly int _mask;
    private int _head;
    private int _tail;

    /// <summary>Creates an empty ring of <paramref name="slots"/> entries (a power of two; one stays unused).</summary>
    public FlushQueue(int slots)
    {
        _entries = new Entry[slots];
        _mask = slots - 1;
    }

    /// <summary>Entries waiting (<c>fq_pending</c>'s share); a racy read where the lock is not held.</summary>
    public int Count => (Volatile.Read(ref _tail) - Volatile.Read(ref _head)) & _mask;

    /// <summary>Whether the ring is full (<c>fq_full</c>): the kernel keeps one slot free to tell full from empty.</summary>
    public bool IsFull => ((_tail + 1) & _mask) == _head;

    /// <summary><c>fq_ring_add</c>: appends an entry at the tail. The caller holds the lock and has checked <see cref="IsFull"/>.</summary>
    public void Append(ulong pfn, ulong pages, long counter)
    {
        _entries[_tail] = new Entry(pfn, pages, counter);
        Volatile.Write(ref _tail, (_tail + 1) & _mask);
    }

    /// <summary>
    /// <c>fq_ring_free_locked</c>: from the head, frees every entry stamped before <paramref name="finished"/> through
    /// <paramref name="sink"/>, stopping at the first that is not (stamps only grow along the ring). Caller holds the lock.
    /// </summary>
    /// <returns>Entries freed.</returns>
    public int Reap(long finished, IIovaSink sink)
    {
        int freed = 0;
        while (_head != _tail && _entries[_head].Counter < finished)
        {
            Entry entry = _entries[_head];
            sink.FreeIova(entry.Pfn, entry.Pages);
            Volatile.Write(ref _head, (_head + 1) & _mask);
            freed++;
        }

        return freed;
    }

    private readonly record struct Entry(ulong Pfn, ulong Pages, long Counter);
}
