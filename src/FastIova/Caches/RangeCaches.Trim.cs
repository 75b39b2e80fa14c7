namespace FastIova.Caches;

// The depots' trim (the kernel's depot work): a depot above its threshold gives a magazine back to the tree, on the
// trim timer (whose run also reclaims the caches of exited threads) or on demand.
internal sealed partial class RangeCaches
{
    /// <summary>
    /// One run of the kernel's depot work: for each class in order, if its depot holds more magazines than the trim
    /// threshold, pop the head magazine and free its pfns (at most one per class per run). The threshold is one spare
    /// magazine per cache: the CPU count, or the number of thread caches if that is larger.
    /// </summary>
    public int TrimDepots()
    {
        int threshold = Math.Max(CpuCount, ThreadCacheCount);
        int trimmed = 0;
        for (int k = 0; k < ClassCount; k++)
        {
            if (_depots[k].Count > threshold && _depots[k].TryPop() is { } magazine)
            {
                FreeMagazine(magazine);
                trimmed++;
            }
        }

        Interlocked.Add(ref _trimmedMagazines, trimmed);
        return trimmed;
    }

    private void FreeMagazine(Magazine magazine)
    {
        _domain.FreeCachedToTree(magazine.Pfns);
        Pool.Return(magazine);
    }

    private static void OnTrimTimer(WeakReference<RangeCaches> self)
    {
        if (!self.TryGetTarget(out var caches))
            return;
        try
        {
            caches.ReclaimDeadThreadCaches();
            caches.TrimDepots();
        }
        catch (ObjectDisposedException)
        {
            // The domain was disposed between ticks; Seal has disposed this timer.
        }
    }
}
