using Xunit;
using Xunit.Abstractions;
using FastIova.Tests.Correctness.Support;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// Seeded random op streams through the simulated CPUs and the calling thread's cache, compared result by result with
/// <see cref="CacheLayerModel"/>; the trees, counters and cached ranges are compared periodically and at the end.
/// Set FASTIOVA_CACHE_SEED to replay one seed (it runs in block 0 only).
/// </summary>
public sealed class CacheLayerDifferentialTests(ITestOutputHelper output)
{
    private const int SeedsPerBlock = 60;
    private const int OpsPerSeed = 1500;
    private const int CompareEvery = 50;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomStreams_MatchTheModel(int block)
    {
        if (Environment.GetEnvironmentVariable("FASTIOVA_CACHE_SEED") is { Length: > 0 } replay)
        {
            if (block == 0)
                RunSeed(int.Parse(replay, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        var coverage = new Coverage();
        for (int i = 0; i < SeedsPerBlock; i++)
            RunSeed(block * 10_000 + i, coverage);

        // The streams must reach the interesting states, or the comparison proves little.
        output.WriteLine(coverage.ToString());
        Assert.True(coverage.Hits > 1000, coverage.ToString());
        Assert.True(coverage.DepotMagazinesSeen > 50, coverage.ToString());
        Assert.True(coverage.TrimmedMagazines > 5, coverage.ToString());
        Assert.True(coverage.FastFailures > 50, coverage.ToString());
        Assert.True(coverage.Flushes > 50, coverage.ToString());
    }

    [Fact]
    public void KernelConstants_OneCpu_MatchTheModel()
    {
        // The kernel's own shape (127-pfn magazines, 6 classes) with enough traffic to fill depots.
        var coverage = new Coverage();
        for (int seed = 90_000; seed < 90_004; seed++)
            RunSeed(seed, coverage, new StreamShape(Classes: 6, MagazineSize: 127, CpuCount: 1, Checked: false, Window: 1 << 19, Ops: 15_000, PhaseLength: 2000, Quiet: true, SpareMagazines: false));
        output.WriteLine(coverage.ToString());
        Assert.True(coverage.DepotMagazinesSeen > 0, coverage.ToString());
    }

    private void RunSeed(int seed, Coverage? coverage = null, StreamShape? forced = null)
    {
        var rng = new Random(seed);
        var shape = forced ?? new StreamShape(
            Classes: rng.Next(1, 9),
            MagazineSize: rng.Next(2) == 0 ? rng.Next(2, 9) : rng.Next(2, 128),
            CpuCount: rng.Next(1, 9),
            Checked: rng.Next(4) == 0,
            Window: 0,
            Ops: OpsPerSeed,
            OwnedCaches: rng.Next(3),
            SpareMagazines: rng.Next(4) != 0);
        var stream = new OpStream(shape, rng);
        try
        {
            stream.Run();
            coverage?.Add(stream.Statistics, stream.DepotMagazinesSeen);
        }
        catch (Exception e)
        {
            output.WriteLine($"seed {seed} failed ({shape}); replay with FASTIOVA_CACHE_SEED={seed}");
            output.WriteLine("last ops:" + Environment.NewLine + string.Join(Environment.NewLine, stream.RecentOps));
            throw new Xunit.Sdk.XunitException($"seed {seed} ({shape}), op {stream.OpIndex}: {e.Message}{Environment.NewLine}last ops:{Environment.NewLine}{string.Join(Environment.NewLine, stream.RecentOps)}{Environment.NewLine}{e}");
        }
        finally
        {
            stream.Dispose();
        }
    }

    private sealed class Coverage
    {
        public long Hits { get; private set; }

        public long DepotMagazinesSeen { get; private set; }

        public long TrimmedMagazines { get; private set; }

        public long FastFailures { get; private set; }

        public long Flushes { get; private set; }

        public void Add(IovaStatistics stats, long depotSeen)
        {
            Hits += stats.CacheHits;
            DepotMagazinesSeen += depotSeen;
            TrimmedMagazines += stats.TrimmedMagazines;
            FastFailures += stats.FastFailures;
            Flushes += stats.Flushes;
        }

        public override string ToString() =>
            $"coverage: hits {Hits}, depot magazines seen {DepotMagazinesSeen}, trimmed {TrimmedMagazines}, fast failures {FastFailures}, flushes {Flushes}";
    }

    private sealed record StreamShape(int Classes, int MagazineSize, int CpuCount, bool Checked, ulong Window, int Ops, int PhaseLength = 150, bool Quiet = false, int OwnedCaches = 0, bool SpareMagazines = true);

    private sealed class OpStream : IDisposable
    {
        private const ulong Granule = 4096;

        private readonly StreamShape _shape;
        private readonly Random _rng;
        private readonly IovaDomain _domain;
        private readonly CacheLayerModel _model;
        private readonly ulong _start;
        private readonly ulong _top;
        private readonly ulong _window;
        private readonly List<(ulong Pfn, ulong SizeArg)> _fastLive = [];
        private readonly List<IovaRange> _treeLive = [];
        private readonly Queue<string> _recent = new();
        private readonly IovaCache[] _owned;
        private bool _growing;
        private ulong _preferredSize;
        private int _preferredCache;

        public OpStream(StreamShape shape, Random rng)
        {
            _shape = shape;
            _rng = rng;
            ulong dma32 = 1UL << 20;
            // Mostly a small space low down (exhaustion), sometimes one straddling the 32-bit boundary.
            // The space holds a few dozen to a few hundred ranges of the largest cached size.
            _window = shape.Window != 0 ? shape.Window : (ulong)rng.Next(32, 400) << (shape.Classes - 1);
            _start = rng.Next(4) == 0 ? dma32 - _window / 2 : (ulong)rng.Next(1, 17);
            _top = _start + _window - 1;
            _domain = new IovaDomain(Granule, _start, new IovaDomainOptions
            {
                CpuCount = shape.CpuCount,
                SizeClasses = shape.Classes,
                MagazineSize = shape.MagazineSize,
                Checked = shape.Checked,
                DepotTrimInterval = Timeout.InfiniteTimeSpan,
                SpareMagazines = shape.SpareMagazines,
            });
            _model = new CacheLayerModel(Granule, _start, shape.Classes, shape.MagazineSize, shape.CpuCount, shape.OwnedCaches, shape.SpareMagazines);
            _owned = new IovaCache[shape.OwnedCaches];
            for (int i = 0; i < _owned.Length; i++)
            {
                _owned[i] = _domain.CreateCache();
                _model.CreateOwned(i);
            }
        }

        public int OpIndex { get; private set; }

        public IEnumerable<string> RecentOps => _recent;

        /// <summary>The domain's statistics at the end of the run.</summary>
        public IovaStatistics Statistics { get; private set; } = new();

        /// <summary>The largest total of depot magazines seen after an op.</summary>
        public long DepotMagazinesSeen { get; private set; }

        public void Run()
        {
            int compareEvery = _shape.Quiet ? 20 * CompareEvery : CompareEvery;
            for (OpIndex = 0; OpIndex < _shape.Ops; OpIndex++)
            {
                Step();
                DepotMagazinesSeen = Math.Max(DepotMagazinesSeen, _model.TotalDepotMagazines);
                if (OpIndex % compareEvery == compareEvery - 1)
                    CompareState();
            }

            CompareState();

            // Everything handed back and flushed: both trees hold only what the tree ops still own.
            foreach (var (pfn, size) in _fastLive)
                FreeFast(RandomCache(), pfn, size);
            _fastLive.Clear();
            Log("FlushCaches");
            _domain.FlushCaches();
            _model.FlushAll();
            CompareState();
            Assert.Equal(_treeLive.Count, _domain.Count);
            Statistics = _domain.GetStatistics();
        }

        public void Dispose()
        {
            foreach (var cache in _owned)
                cache.Dispose();
            _domain.Dispose();
            _model.Dispose();
        }

        private void Step()
        {
            // Phases of growth and shrinkage around a preferred size and CPU: bursts of frees overflow magazines into
            // the depot, bursts of allocations drain it and exhaust the space.
            if (OpIndex % _shape.PhaseLength == 0)
            {
                _growing = _rng.Next(2) == 0;
                _preferredSize = RandomSize();
                _preferredCache = RandomCache();
            }

            // Quiet streams flush a tenth as often, so that 127-pfn magazines fill up and overflow into the depot.
            int scale = _shape.Quiet ? 10 : 1;
            int roll = _rng.Next(1000 * scale);
            int allocShare = (_growing ? 550 : 200) * scale;
            int freeShare = allocShare + (_growing ? 250 : 600) * scale;
            if (roll < allocShare)
                AllocateFast();
            else if (roll < freeShare)
                FreeRandomFast();
            else if ((roll -= freeShare) < 40)
                FlushOneCache();
            else if (roll < 50)
                FlushDepot();
            else if (roll < 90)
                TrimDepot();
            else if (roll < 95)
                FlushCaches();
            else if (roll < 140)
                TreeAllocate();
            else if (roll < 190)
                TreeFree();
            else if (roll < 196)
                TreeFreeOfNothing();
            else if (roll < 200)
                RenewOwnedCache();
            else
                AllocateFast();
        }

        // 0..CpuCount-1: a simulated CPU; CpuCount: this thread's own cache; above: an owned cache.
        private int RandomCache() =>
            _rng.Next(2) == 0 ? _preferredCache : _rng.Next(_shape.CpuCount + 1 + _owned.Length);

        private string CacheName(int cache) =>
            cache < _shape.CpuCount ? $"cpu{cache}" : cache == _model.ThreadCacheIndex ? "thread" : $"owned{cache - _model.OwnedCacheIndex(0)}";

        private ulong RandomSize()
        {
            int cachedMax = 1 << (_shape.Classes - 1);
            return _rng.Next(10) switch
            {
                < 4 when _preferredSize != 0 => _preferredSize,
                < 8 => (ulong)_rng.Next(1, cachedMax + 1),
                < 9 => (ulong)_rng.Next(1, 2 * cachedMax + 3),
                _ => (ulong)_rng.Next(1, 160),
            };
        }

        private ulong RandomLimit() =>
            _rng.Next(10) < (_shape.Quiet ? 9 : 6) ? _top : _start + (ulong)_rng.NextInt64(0, (long)_window);

        private void AllocateFast()
        {
            int cache = RandomCache();
            ulong size = RandomSize(), limit = RandomLimit();
            bool flush = _rng.Next(4) == 0;
            Log($"alloc_fast cache={CacheName(cache)} size={size} limit={limit} flush={(flush ? 1 : 0)}");
            bool ok = cache < _shape.CpuCount ? _domain.Cpu(cache).TryAllocateFast(size, limit, flush, out ulong pfn)
                : cache == _model.ThreadCacheIndex ? _domain.TryAllocateFast(size, limit, flush, out pfn)
                : _owned[cache - _model.OwnedCacheIndex(0)].TryAllocateFast(size, limit, flush, out pfn);
            bool expectedOk = _model.AllocateFast(cache, size, limit, flush, out ulong expectedPfn);
            Assert.True(expectedOk == ok, $"alloc_fast: expected {(expectedOk ? expectedPfn.ToString() : "fail")}, got {(ok ? pfn.ToString() : "fail")}");
            Assert.Equal(expectedPfn, pfn);
            Log($"  => {(ok ? pfn.ToString() : "fail")}");
            if (ok)
                _fastLive.Add((pfn, size));
        }

        private void FreeRandomFast()
        {
            if (_fastLive.Count == 0)
                return;
            var (pfn, size) = _fastLive.TakeRandom(_rng);
            FreeFast(RandomCache(), pfn, size);
        }

        private void FreeFast(int cache, ulong pfn, ulong size)
        {
            Log($"free_fast cache={CacheName(cache)} pfn={pfn} size={size}");
            if (cache < _shape.CpuCount)
                _domain.Cpu(cache).FreeFast(pfn, size);
            else if (cache == _model.ThreadCacheIndex)
                _domain.FreeFast(pfn, size);
            else
                _owned[cache - _model.OwnedCacheIndex(0)].FreeFast(pfn, size);
            _model.FreeFast(cache, pfn, size);
        }

        // A simulated CPU's flush or an owned cache's: free_cpu_cached_iovas of that one cache.
        private void FlushOneCache()
        {
            int pick = _rng.Next(_shape.CpuCount + _owned.Length);
            if (pick < _shape.CpuCount)
            {
                Log($"flush_cpu {pick}");
                _domain.Cpu(pick).Flush();
                _model.FlushCache(pick);
                return;
            }

            int slot = pick - _shape.CpuCount;
            Log($"flush owned{slot}");
            _owned[slot].Flush();
            _model.FlushCache(_model.OwnedCacheIndex(slot));
        }

        private void RenewOwnedCache()
        {
            if (_owned.Length == 0)
                return;
            int slot = _rng.Next(_owned.Length);
            Log($"renew owned{slot}");
            _owned[slot].Dispose();
            _model.DisposeOwned(slot);
            _owned[slot] = _domain.CreateCache();
            _model.CreateOwned(slot);
        }

        private void FlushDepot()
        {
            Log("flush_global");
            _domain.FlushDepot();
            _model.FlushDepots();
        }

        private void TrimDepot()
        {
            Log("depot_trim");
            int trimmed = _domain.TrimDepot();
            Assert.Equal(_model.TrimDepots(), trimmed);
        }

        private void FlushCaches()
        {
            Log("FlushCaches");
            _domain.FlushCaches();
            _model.FlushAll();
        }

        private void TreeAllocate()
        {
            ulong size = (ulong)_rng.Next(1, 40), limit = RandomLimit();
            bool aligned = _rng.Next(2) == 0;
            Log($"alloc size={size} limit={limit} aligned={(aligned ? 1 : 0)}");
            bool ok = _domain.TryAllocate(size, limit, aligned, out var range);
            bool expectedOk = _model.Tree.TryAllocate(size, limit, aligned, out var expected);
            Assert.True(expectedOk == ok, $"alloc: expected {(expectedOk ? expected.ToString() : "fail")}, got {(ok ? range.ToString() : "fail")}");
            Assert.Equal(expected, range);
            if (ok)
                _treeLive.Add(range);
        }

        private void TreeFree()
        {
            if (_treeLive.Count == 0)
                return;
            var range = _treeLive.TakeRandom(_rng);
            ulong pfn = range.PfnLo + (ulong)_rng.NextInt64(0, (long)range.Size);
            Log($"free {pfn}");
            Assert.True(_domain.Free(pfn));
            Assert.True(_model.Tree.Free(pfn));
        }

        private void TreeFreeOfNothing()
        {
            ulong pfn = _start + (ulong)_rng.NextInt64(0, (long)_window);
            if (_model.Tree.Find(pfn) is not null)
                return;
            Log($"free {pfn} (no range)");
            Assert.False(_domain.Free(pfn));
        }

        private void CompareState()
        {
            var actual = _domain.GetRanges();
            var viaModelTree = _model.Tree.GetRanges();
            Assert.Equal(viaModelTree, actual);

            // Independently of both trees: what the test holds plus what the model says is cached.
            var expected = _treeLive
                .Concat(_model.FastRanges.Select(r => new IovaRange(r.Key, r.Key + r.Value - 1)))
                .OrderBy(r => r.PfnLo)
                .ToArray();
            Assert.Equal(expected, actual);
            Assert.Equal(_fastLive.Count, _fastLive.Select(r => r.Pfn).Distinct().Count());
            _domain.CheckInvariants();

            var stats = _domain.GetStatistics();
            var treeStats = _model.Tree.GetStatistics();
            Assert.Equal(treeStats.LiveRanges, stats.LiveRanges);
            Assert.Equal(treeStats.LivePfns, stats.LivePfns);
            Assert.Equal(treeStats.TreeAllocations, stats.TreeAllocations);
            Assert.Equal(treeStats.TreeFrees, stats.TreeFrees);
            Assert.Equal(treeStats.FailuresExhausted, stats.FailuresExhausted);
            Assert.Equal(treeStats.Failures32BitHint, stats.Failures32BitHint);
            Assert.Equal(_model.FastFailures, stats.FastFailures);
            Assert.Equal(_model.Flushes, stats.Flushes);
            Assert.Equal(_model.Trimmed, stats.TrimmedMagazines);
            Assert.Equal(_model.ThreadCaches, stats.ThreadCaches);
            Assert.Equal(_shape.Classes, stats.SizeClasses.Count);
            for (int k = 0; k < _shape.Classes; k++)
            {
                var c = stats.SizeClasses[k];
                Assert.Equal(k, c.SizeClass);
                Assert.True(_model.Hits[k] == c.Hits, $"class {k} hits: expected {_model.Hits[k]}, got {c.Hits}");
                Assert.True(_model.Misses[k] == c.Misses, $"class {k} misses: expected {_model.Misses[k]}, got {c.Misses}");
                Assert.True(_model.DepotMagazines(k) == c.DepotMagazines, $"class {k} depot: expected {_model.DepotMagazines(k)}, got {c.DepotMagazines}");
            }
        }

        private void Log(string op)
        {
            if (_recent.Count == 24)
                _recent.Dequeue();
            _recent.Enqueue($"#{OpIndex}: {op}");
        }
    }
}
