namespace FastIova.Dma;

// The owned queues of threads and workers: their registry, and the reapers' half of their handshake.
internal sealed partial class FlushQueues
{
    /// <summary>Owned queues registered now (live threads and workers, and abandoned ones still holding entries).</summary>
    public int OwnedQueueCount => Volatile.Read(ref _ownedQueues).Length;

    /// <summary>
    /// A queue for a thread or a worker: its own in per-CPU mode, registered so that the timer and the flushes reach
    /// it; the one shared queue in single-queue mode.
    /// </summary>
    /// <param name="owner">The owning <see cref="Thread"/> or handle.</param>
    public FlushQueue CreateOwned(object owner)
    {
        if (Single)
            return _cpuQueues[0];
        var queue = owner is Thread thread ? new FlushQueue(_ownedSlots, thread) : new FlushQueue(_ownedSlots, owner);
        bool sweep;
        lock (_registryLock)
        {
            FlushQueue[] queues = _ownedQueues;
            Volatile.Write(ref _ownedQueues, [.. queues, queue]);

            // Amortized: sweeping whenever the registry has doubled keeps thread churn at O(1) per thread.
            sweep = queues.Length + 1 >= _sweepAt;
        }

        if (sweep)
            DropAbandoned();
        return queue;
    }

    /// <summary>
    /// A worker's Dispose: closes its queue, flushes if anything is queued, frees the queue's entries into
    /// <paramref name="sink"/> (the worker's own cache; the caller is its owner) and forgets the queue.
    /// </summary>
    public void Retire(FlushQueue queue, IIovaSink sink)
    {
        if (!queue.IsOwned)
            return;
        lock (_reapGate)
        {
            queue.Close();
            queue.RequestReap();
            queue.WaitForOwner(); // the owner is the caller: nobody else appends, so no fence is needed
            if (queue.Count != 0)
            {
                FlushIotlb();
                queue.ReapAll(sink);
            }

            queue.ReleaseReap();
        }

        Unregister(queue);
    }

    /// <summary>
    /// The reapers' half of the handshake for several owned queues at once (one process-wide fence for all of them),
    /// closing each first if asked; each is then held until <see cref="FlushQueue.ReleaseReap"/>. Under the reap gate.
    /// </summary>
    private static void Hold(ReadOnlySpan<FlushQueue> queues, bool close)
    {
        if (queues.IsEmpty)
            return;
        foreach (FlushQueue queue in queues)
        {
            if (close)
                queue.Close();
            queue.RequestReap();
        }

        Interlocked.MemoryBarrierProcessWide();
        foreach (FlushQueue queue in queues)
            queue.WaitForOwner();
    }

    /// <summary>
    /// Forgets the queues of exited threads and collected workers once they are empty. Such a queue only shrinks (no
    /// owner appends), and whatever it holds is freed by the next timer run, which its last unmap armed.
    /// </summary>
    private void DropAbandoned()
    {
        lock (_registryLock)
        {
            // The kept queues are chosen in one pass: a thread may exit while the sweep runs, and a pass that counted
            // before another copied would leave nulls in the registry.
            FlushQueue[] queues = _ownedQueues;
            if (Array.Exists(queues, IsDroppable))
            {
                var kept = new List<FlushQueue>(queues.Length);
                foreach (FlushQueue queue in queues)
                {
                    if (!IsDroppable(queue))
                        kept.Add(queue);
                    else
                        _retiredFlushes += queue.OwnFlushes;
                }

                Volatile.Write(ref _ownedQueues, queues = [.. kept]);
            }

            _sweepAt = Math.Max(MinimumSweep, 2 * queues.Length);
        }
    }

    private static bool IsDroppable(FlushQueue queue) => queue.IsAbandoned && queue.Count == 0;

    private void Unregister(FlushQueue queue)
    {
        lock (_registryLock)
        {
            FlushQueue[] queues = _ownedQueues;
            int index = Array.IndexOf(queues, queue);
            if (index >= 0)
            {
                _retiredFlushes += queue.OwnFlushes;
                Volatile.Write(ref _ownedQueues, [.. queues.AsSpan(0, index), .. queues.AsSpan(index + 1)]);
            }
        }
    }
}
