namespace FastIova.Caches;

// Emptying caches: flushes, sealing, a thread cache's release, and reclaiming the caches of exited threads, all
// under the flush gate.
internal sealed partial class RangeCaches
{
    /// <summary>Disposing an <see cref="IovaCache"/>: its ranges go back to the tree and the cache is forgotten.</summary>
    public void Release(ThreadCache cache)
    {
        lock (_flushGate)
        {
            lock (_registryLock)
            {
                if (!_threadCaches.Remove(cache))
                    return;
                RetireCounts(cache);
            }

            Retire(cache);
        }
    }

    /// <summary>
    /// An <see cref="IovaCache"/>'s flush, called by its owner: under the flush gate, so that no other flush is emptying
    /// the same cache; the owner is the caller, so nothing waits.
    /// </summary>
    public void FlushOwned(ThreadCache cache)
    {
        lock (_flushGate)
        {
            cache.RequestFlush();

            // Once the domain is sealed every cache stays closed.
            cache.CompleteFlush(_domain, keepClosed: Volatile.Read(ref _sealed));
        }
    }

    /// <summary>Empties a cache whose owner is gone or done with it into the tree and retires it. Under the flush gate.</summary>
    private void Retire(ThreadCache cache)
    {
        cache.RequestFlush();
        cache.CompleteFlush(_domain, keepClosed: true); // the owner is gone or is the caller: nothing to wait for
        cache.Retire();
    }

    /// <summary>
    /// Moves the counts of a cache leaving the registry to the retired totals, under the registry lock, in the same step
    /// as its removal: a statistics snapshot (which reads both under that lock) then counts it exactly once, and hits
    /// and misses never go back. Its owner is gone or is the caller, so its counts are final.
    /// </summary>
    private void RetireCounts(ThreadCache cache)
    {
        for (int k = 0; k < ClassCount; k++)
        {
            _retiredHits[k] += cache.Hits(k);
            _retiredMisses[k] += cache.Misses(k);
        }
    }

    /// <summary>
    /// Empties the caches whose owner is gone (an exited thread, a collected IovaCache) into the tree and forgets them.
    /// Runs on every trim tick, when the registry doubles, and on demand; a dead thread's ranges are back within one
    /// trim interval.
    /// </summary>
    public int ReclaimDeadThreadCaches()
    {
        lock (_flushGate)
        {
            List<ThreadCache>? dead = null;
            lock (_registryLock)
            {
                for (int i = _threadCaches.Count - 1; i >= 0; i--)
                {
                    if (_threadCaches[i].IsAbandoned)
                    {
                        RetireCounts(_threadCaches[i]);
                        (dead ??= []).Add(_threadCaches[i]);
                        _threadCaches.RemoveAt(i);
                    }
                }

                _sweepAt = Math.Max(8, 2 * _threadCaches.Count);
            }

            if (dead is null)
                return 0;

            foreach (var cache in dead)
                Retire(cache);

            Interlocked.Add(ref _reclaimed, dead.Count);
            return dead.Count;
        }
    }

    /// <summary>
    /// Flushes every CPU cache (in CPU order), every thread cache and then every depot, as the kernel's failure path
    /// (<c>free_cpu_cached_iovas</c> for each online CPU, then <c>free_global_cached_iovas</c>).
    /// </summary>
    public void FlushAll()
    {
        Interlocked.Increment(ref _flushes);
        foreach (var cpu in _cpus)
            cpu.Flush(_domain);
        FlushThreadCaches(seal: false);
        FlushDepots();
    }

    /// <summary>Closes every cache for good (Dispose): flushed, and owners sent to the tree from now on.</summary>
    public void Seal()
    {
        _trimTimer?.Dispose();
        FlushThreadCaches(seal: true);
        foreach (var cpu in _cpus)
            cpu.Flush(_domain);
        FlushDepots();
        CacheSlots.Release(_slot);
    }

    private void FlushThreadCaches(bool seal)
    {
        lock (_flushGate)
        {
            ThreadCache[] caches;
            lock (_registryLock)
            {
                if (seal)
                    Volatile.Write(ref _sealed, true);
                caches = [.. _threadCaches];
            }

            if (caches.Length == 0)
                return;
            foreach (var cache in caches)
                cache.RequestFlush();

            // One process-wide fence for all caches: the owners' half of the handshake (see ThreadCache).
            Interlocked.MemoryBarrierProcessWide();
            // Once sealed, every flush leaves the caches closed: a failure-driven flush racing Dispose must not reopen them.
            bool keepClosed = Volatile.Read(ref _sealed);
            foreach (var cache in caches)
                cache.CompleteFlush(_domain, keepClosed);
        }
    }

    /// <summary><c>free_global_cached_iovas</c>: for each class, pops every depot magazine and frees its pfns in order.</summary>
    public void FlushDepots()
    {
        for (int k = 0; k < ClassCount; k++)
        {
            while (_depots[k].TryPop() is { } magazine)
                FreeMagazine(magazine);
        }
    }
}
