using System.Diagnostics;

namespace FastIova.Cli;

/// <summary>
/// The demo's load: every thread allocates and frees small ranges (1..16 pfns, below 4 GiB) through its own range
/// cache (the domain's per-thread one, or an <see cref="IovaCache"/> it owns), keeping a few dozen live, as a driver
/// mapping and unmapping DMA buffers would.
/// </summary>
internal static class FastPathLoad
{
    private const int MinLive = 16;
    private const int MaxLive = 48;
    private const int OpsBetweenStopChecks = 256;

    /// <summary>Runs the load for <paramref name="duration"/> on <paramref name="threadCount"/> threads and prints throughput and cache statistics.</summary>
    public static void Run(TimeSpan duration, int threadCount, bool ownedCaches, TextWriter output)
    {
        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions { CpuCount = threadCount });
        ulong limitPfn = domain.Dma32Pfn - 1;
        var workers = new Worker[threadCount];
        var threads = new Thread[threadCount];
        using var start = new Barrier(threadCount + 1);
        for (int i = 0; i < threadCount; i++)
        {
            var worker = workers[i] = new Worker(domain, limitPfn, seed: 1000 + i);
            threads[i] = new Thread(() =>
            {
                using var cache = ownedCaches ? domain.CreateCache() : null;
                start.SignalAndWait();
                worker.Run(cache);
            }) { IsBackground = true, Name = $"fast-path-{i}" };
            threads[i].Start();
        }

        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        Thread.Sleep(duration);
        foreach (var worker in workers)
        {
            worker.Stop();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        double elapsed = clock.Elapsed.TotalSeconds;
        long operations = workers.Sum(w => w.Operations);
        long failures = workers.Sum(w => w.Failures);
        var statistics = domain.GetStatistics();
        string caches = ownedCaches ? "an IovaCache per thread (CreateCache)" : "each thread's own cache (TryAllocateFast/FreeFast)";
        output.WriteLine($"Fast path through {caches}: {threadCount} thread(s) for {elapsed:0.00} s, sizes 1..16 pfns, limit pfn {limitPfn} (the 32-bit boundary), {MinLive}..{MaxLive} live ranges per thread.");
        output.WriteLine($"  {operations / elapsed / 1e6:0.00} Mops/s ({operations:N0} ops; one op = one alloc or one free), {failures} failed allocations");
        output.WriteLine($"  cache hit rate {statistics.HitRate:P1}, depot magazines {statistics.DepotMagazines}, tree allocations {statistics.TreeAllocations:N0}");
    }

    /// <summary>One thread's share of the load; its live ranges are freed again when it stops.</summary>
    private sealed class Worker(IovaDomain domain, ulong limitPfn, int seed)
    {
        private readonly ulong[] _pfns = new ulong[MaxLive];
        private readonly ulong[] _sizes = new ulong[MaxLive];
        // xorshift64*: a seeded System.Random costs as much per call as a cache hit and would hide what is measured.
        private ulong _random = 0x9E3779B97F4A7C15UL * (ulong)(seed + 1);
        private volatile bool _stopping;

        public long Operations { get; private set; }

        public long Failures { get; private set; }

        public void Stop() => _stopping = true;

        private ulong Next()
        {
            _random ^= _random >> 12;
            _random ^= _random << 25;
            _random ^= _random >> 27;
            return (_random * 0x2545F4914F6CDD1DUL) >> 32;
        }

        public void Run(IovaCache? cache)
        {
            int live = 0;
            long operations = 0;
            long failures = 0;
            while (!_stopping)
            {
                for (int i = 0; i < OpsBetweenStopChecks; i++)
                {
                    bool allocate = live < MinLive || (live < MaxLive && (Next() & 1) == 0);
                    if (allocate)
                    {
                        ulong size = 1 + (Next() & 15);
                        ulong pfn;
                        if (cache is null
                            ? domain.TryAllocateFast(size, limitPfn, flushCachesOnFailure: true, out pfn)
                            : cache.TryAllocateFast(size, limitPfn, flushCachesOnFailure: true, out pfn))
                        {
                            _pfns[live] = pfn;
                            _sizes[live] = size;
                            live++;
                        }
                        else
                        {
                            failures++;
                        }
                    }
                    else
                    {
                        int victim = (int)(Next() % (ulong)live);
                        Free(cache, _pfns[victim], _sizes[victim]);
                        live--;
                        _pfns[victim] = _pfns[live];
                        _sizes[victim] = _sizes[live];
                    }

                    operations++;
                }
            }

            for (int i = 0; i < live; i++)
            {
                Free(cache, _pfns[i], _sizes[i]);
            }

            Operations = operations;
            Failures = failures;
        }

        private void Free(IovaCache? cache, ulong pfn, ulong size)
        {
            if (cache is null)
            {
                domain.FreeFast(pfn, size);
            }
            else
            {
                cache.FreeFast(pfn, size);
            }
        }
    }
}
