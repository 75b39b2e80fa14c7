namespace FastIova.Caches;

// Counters and the per-class statistics, read without stopping the caches.
internal sealed partial class RangeCaches
{
    public int ThreadCacheCount
    {
        get
        {
            lock (_registryLock)
                return _threadCaches.Count;
        }
    }

    public long Flushes => Interlocked.Read(ref _flushes);

    public long TrimmedMagazines => Interlocked.Read(ref _trimmedMagazines);

    public long ReclaimedThreadCaches => Interlocked.Read(ref _reclaimed);

    /// <summary>Per-class hits, misses and depot sizes, summed over every cache, live or retired.</summary>
    public SizeClassStatistics[] SizeClassStatistics()
    {
        var result = new SizeClassStatistics[ClassCount];
        var retiredHits = new long[ClassCount];
        var retiredMisses = new long[ClassCount];
        ThreadCache[] threads;
        lock (_registryLock)
        {
            // The retired totals and the registry change together (RetireCounts): read them together.
            threads = [.. _threadCaches];
            _retiredHits.CopyTo(retiredHits);
            _retiredMisses.CopyTo(retiredMisses);
        }

        for (int k = 0; k < ClassCount; k++)
        {
            long hits = retiredHits[k], misses = retiredMisses[k];
            foreach (var cpu in _cpus)
            {
                hits += cpu.Hits(k);
                misses += cpu.Misses(k);
            }

            foreach (var thread in threads)
            {
                hits += thread.Hits(k);
                misses += thread.Misses(k);
            }

            result[k] = new SizeClassStatistics(k, hits, misses, _depots[k].Count);
        }

        return result;
    }
}
