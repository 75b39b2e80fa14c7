using System.Collections.Concurrent;
using Xunit;
using Xunit.Abstractions;
using FastIova.Tests.Correctness.Support;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// Many threads through their own caches at once (the thread's implicit cache, or an <see cref="IovaCache"/> that is
/// disposed or dropped at the end of each round): mixed sizes, cross-thread frees, explicit flushes and trims,
/// failure-driven flushes in a small space, the trim timer, and short-lived threads that exit with ranges cached.
/// After each round no range is owned twice, and after a full flush the tree holds exactly what the test owns.
/// </summary>
[Collection(SerialCacheTests.Name)]
public sealed class CacheStressTests(ITestOutputHelper output)
{
    private const int Rounds = 5;
    private static readonly TimeSpan s_roundLength = TimeSpan.FromMilliseconds(700);

    [Fact]
    public void Unchecked_SmallMagazines_TrimTimer() =>
        Run(new IovaDomainOptions { MagazineSize = 4, CpuCount = 2, DepotTrimInterval = TimeSpan.FromMilliseconds(5) }, start: 1 << 20, window: 1 << 15);

    [Fact]
    public void Checked_KernelMagazines() =>
        Run(new IovaDomainOptions { Checked = true, CpuCount = 2, DepotTrimInterval = TimeSpan.FromMilliseconds(50) }, start: 1, window: 1 << 16);

    /// <summary>A space from <paramref name="start"/> up: below 2^20 (4 GiB) the 32-bit hint joins in.</summary>
    private void Run(IovaDomainOptions options, ulong start, ulong window)
    {
        int seed = Environment.GetEnvironmentVariable("FASTIOVA_STRESS_SEED") is { Length: > 0 } s
            ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set FASTIOVA_STRESS_SEED to reuse it; thread timing still varies)");
        try
        {
            new StressRun(options, start, window, seed, output).Run();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed}: {e}");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed}: {e.Message}");
        }
    }

    private readonly record struct Owned(ulong Pfn, ulong SizeArg, ulong Size, bool Fast);

    private sealed class StressRun(IovaDomainOptions options, ulong start, ulong window, int seed, ITestOutputHelper output)
    {
        private readonly IovaDomain _domain = new(4096, start, options);
        private readonly int _workers = Math.Max(4, Environment.ProcessorCount);
        private readonly ConcurrentDictionary<ulong, int> _live = new(); // first pfn -> owner, for every owned range
        private readonly ConcurrentQueue<string> _errors = new();
        private List<Owned>[] _owned = [];
        private ConcurrentQueue<Owned>[] _inboxes = [];
        private volatile bool _stop;
        private long _churned;

        private ulong Top => start + window - 1;

        public void Run()
        {
            _owned = [.. Enumerable.Range(0, _workers).Select(_ => new List<Owned>())];
            _inboxes = [.. Enumerable.Range(0, _workers).Select(_ => new ConcurrentQueue<Owned>())];
            try
            {
                for (int round = 0; round < Rounds; round++)
                {
                    RunRound(round);
                    CheckRound(round);
                }

                // Give everything back: the tree ends empty.
                for (int w = 0; w < _workers; w++)
                {
                    foreach (var range in _owned[w])
                        Release(range);
                    _owned[w].Clear();
                }

                _domain.FlushCaches();
                _domain.ReclaimDeadThreadCaches();
                Assert.Equal(0, _domain.Count);
                var stats = _domain.GetStatistics();
                output.WriteLine($"end: {stats.CacheHits} hits, {stats.CacheMisses} misses, {stats.Flushes} flushes, {stats.FastFailures} fast failures, " +
                    $"{stats.TrimmedMagazines} trimmed, {stats.ReclaimedThreadCaches} thread caches reclaimed, {_churned} short-lived threads");
                Assert.True(stats.CacheHits > 0 && stats.Flushes > Rounds && stats.ReclaimedThreadCaches > _workers);
            }
            finally
            {
                _domain.Dispose();
            }
        }

        private void RunRound(int round)
        {
            _stop = false;
            var threads = new List<Thread>();
            for (int w = 0; w < _workers; w++)
            {
                int worker = w;
                threads.Add(new Thread(() => Guard(() => Work(worker, new Random(HashCode.Combine(seed, round, worker))))));
            }

            threads.Add(new Thread(() => Guard(() => Churn(new Random(HashCode.Combine(seed, round, -1))))));
            foreach (var thread in threads)
                thread.Start();
            Thread.Sleep(s_roundLength);
            _stop = true;
            foreach (var thread in threads)
                thread.Join();
        }

        private void CheckRound(int round)
        {
            Assert.True(_errors.IsEmpty, $"round {round}: {string.Join(Environment.NewLine, _errors)}");

            // What is still in flight between threads is owned by its addressee.
            for (int w = 0; w < _workers; w++)
            {
                while (_inboxes[w].TryDequeue(out var range))
                    _owned[w].Add(range);
            }

            var all = _owned.SelectMany(o => o).OrderBy(r => r.Pfn).ToList();
            Assert.Equal(all.Count, _live.Count);
            for (int i = 1; i < all.Count; i++)
            {
                var (a, b) = (all[i - 1], all[i]);
                Assert.True(a.Pfn + a.Size <= b.Pfn, $"round {round}: owned ranges overlap: [{a.Pfn}, +{a.Size}) and [{b.Pfn}, +{b.Size})");
            }

            // Dropped IovaCaches are reclaimed once collected.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            _domain.FlushCaches();
            _domain.ReclaimDeadThreadCaches();
            var expected = all.Select(r => new IovaRange(r.Pfn, r.Pfn + r.Size - 1)).ToArray();
            var actual = _domain.GetRanges();
            if (!expected.SequenceEqual(actual))
            {
                var missing = expected.Except(actual).Take(10);
                var extra = actual.Except(expected).Take(10);
                Assert.Fail($"round {round}: tree holds {actual.Length} ranges, test owns {expected.Length}; " +
                    $"missing from tree: {string.Join(" ", missing)}; not owned: {string.Join(" ", extra)}");
            }

            _domain.CheckInvariants();
            Assert.Equal(0, _domain.GetStatistics().ThreadCaches);
        }

        private void Work(int me, Random rng)
        {
            // Workers 0, 3, ...: the thread's own cache; 1, 4, ...: an IovaCache disposed at the end; 2, 5, ...: one dropped.
            using var disposed = me % 3 == 1 ? _domain.CreateCache() : null;
            var cache = disposed ?? (me % 3 == 2 ? _domain.CreateCache() : null);
            WorkThrough(me, rng, cache);
        }

        private void WorkThrough(int me, Random rng, IovaCache? cache)
        {
            var owned = _owned[me];
            while (!_stop && _errors.IsEmpty)
            {
                while (_inboxes[me].TryDequeue(out var received))
                    owned.Add(received);

                int roll = rng.Next(10_000);
                bool crowded = owned.Count > 48;
                if (roll < 4500 && !crowded)
                {
                    AllocateFast(me, rng, owned, cache);
                }
                else if (roll < 8500 || (crowded && roll < 9000))
                {
                    if (owned.Count > 0)
                        Release(owned.TakeRandom(rng), cache);
                }
                else if (roll < 9400)
                {
                    if (owned.Count > 0)
                        _inboxes[rng.Next(_workers)].Enqueue(owned.TakeRandom(rng));
                }
                else if (roll < 9900)
                {
                    AllocateFromTree(me, rng, owned);
                }
                else if (roll < 9960)
                {
                    _domain.TrimDepot();
                }
                else if (roll < 9980)
                {
                    _domain.ReclaimDeadThreadCaches();
                }
                else if (roll < 9985)
                {
                    _domain.FlushCaches();
                }
            }
        }

        /// <summary>Short-lived threads, one after another: allocate, cache most, pass the rest on, exit.</summary>
        private void Churn(Random rng)
        {
            while (!_stop && _errors.IsEmpty)
            {
                int threadSeed = rng.Next();
                var thread = new Thread(() => Guard(() =>
                {
                    var local = new Random(threadSeed);
                    var mine = new List<Owned>();
                    for (int i = 0; i < 8; i++)
                        AllocateFast(-1, local, mine);
                    while (mine.Count > 3)
                        Release(mine.TakeRandom(local));
                    foreach (var range in mine)
                    {
                        int to = local.Next(_workers);
                        _live[range.Pfn] = to;
                        _inboxes[to].Enqueue(range);
                    }
                }));
                thread.Start();
                thread.Join();
                Interlocked.Increment(ref _churned);
            }
        }

        private void AllocateFast(int me, Random rng, List<Owned> owned, IovaCache? cache = null)
        {
            ulong size = rng.Next(8) switch
            {
                0 => (ulong)rng.Next(33, 200), // beyond the cached classes
                _ => (ulong)rng.Next(1, 33),
            };
            ulong limit = rng.Next(20) == 0 ? start + (ulong)rng.NextInt64(0, (long)window) : Top;
            bool flush = rng.Next(2) == 0;
            ulong pfn;
            if (!(cache is null ? _domain.TryAllocateFast(size, limit, flush, out pfn) : cache.TryAllocateFast(size, limit, flush, out pfn)))
                return;
            ulong rounded = CacheLayerModel.Round(size, options.SizeClasses);
            if (pfn < start || pfn + rounded - 1 > limit)
                _errors.Enqueue($"alloc_fast {size} limit {limit} returned {pfn}, outside [{start}, {limit}]");
            Own(me, new Owned(pfn, size, rounded, Fast: true), owned);
        }

        private void AllocateFromTree(int me, Random rng, List<Owned> owned)
        {
            ulong size = (ulong)rng.Next(1, 50);
            if (_domain.TryAllocate(size, Top, rng.Next(2) == 0, out var range))
                Own(me, new Owned(range.PfnLo, size, size, Fast: false), owned);
        }

        private void Own(int me, Owned range, List<Owned> owned)
        {
            if (!_live.TryAdd(range.Pfn, me))
                _errors.Enqueue($"pfn {range.Pfn} handed out while owned by worker {_live.GetValueOrDefault(range.Pfn)}");
            owned.Add(range);
        }

        private void Release(Owned range, IovaCache? cache = null)
        {
            // Forget it before freeing: once freed, another thread may be handed it at once.
            if (!_live.TryRemove(range.Pfn, out _))
                _errors.Enqueue($"pfn {range.Pfn} released but not recorded as owned");
            if (range.Fast && cache is not null)
                cache.FreeFast(range.Pfn, range.SizeArg);
            else if (range.Fast)
                _domain.FreeFast(range.Pfn, range.SizeArg);
            else if (!_domain.Free(range.Pfn))
                _errors.Enqueue($"tree free of owned pfn {range.Pfn} found no range");
        }

        private void Guard(Action work)
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                _errors.Enqueue(e.ToString());
            }
        }
    }
}
