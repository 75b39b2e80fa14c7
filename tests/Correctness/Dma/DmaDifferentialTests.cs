using FastIova.Dma;
using FastIova.Tests.Correctness.Support;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>
/// Seeded random DMA traffic on simulated CPUs (maps, coherent maps, scatter lists, refused page-table maps, unmaps,
/// timer ticks, CPU switches and flushes) against <see cref="ReferenceDmaDomain"/>, result by result; the trees,
/// queues, counters and device flags are compared every few ops. Set FASTIOVA_DMA_SEED to replay one seed.
/// </summary>
public sealed class DmaDifferentialTests(ITestOutputHelper output)
{
    private const int SeedsPerBlock = 25;
    private const int OpsPerSeed = 1500;
    private const int CompareEvery = 40;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomTraffic_MatchesTheModel(int block)
    {
        if (Environment.GetEnvironmentVariable("FASTIOVA_DMA_SEED") is { Length: > 0 } replay)
        {
            if (block == 0)
                RunSeed(int.Parse(replay, System.Globalization.CultureInfo.InvariantCulture), new Coverage());
            return;
        }

        var coverage = new Coverage();
        for (int i = 0; i < SeedsPerBlock; i++)
            RunSeed(block * 10_000 + i, coverage);

        // The streams must reach the states that tell the rules apart, or agreeing proves little.
        output.WriteLine(coverage.ToString());
        Assert.True(coverage.Flips > 5, coverage.ToString());
        Assert.True(coverage.MapFailures > 20, coverage.ToString());
        Assert.True(coverage.FullRingFlushes > 5, coverage.ToString());
        Assert.True(coverage.TimerFlushes > 20, coverage.ToString());
        Assert.True(coverage.PaddedScatterLists > 20, coverage.ToString());
        Assert.True(coverage.RefusedMaps > 20, coverage.ToString());
    }

    private void RunSeed(int seed, Coverage coverage)
    {
        var stream = new TrafficStream(seed, coverage);
        try
        {
            stream.Run(OpsPerSeed, CompareEvery);
        }
        catch (Exception e)
        {
            string recent = string.Join(Environment.NewLine, stream.RecentOps);
            output.WriteLine($"seed {seed} failed ({stream.Shape}); replay with FASTIOVA_DMA_SEED={seed}{Environment.NewLine}{recent}");
            throw new Xunit.Sdk.XunitException($"seed {seed} ({stream.Shape}), op {stream.OpIndex}: {e.Message}{Environment.NewLine}last ops:{Environment.NewLine}{recent}{Environment.NewLine}{e}");
        }
        finally
        {
            stream.Dispose();
        }
    }

    private sealed class Coverage
    {
        public long Flips;
        public long MapFailures;
        public long FullRingFlushes;
        public long TimerFlushes;
        public long PaddedScatterLists;
        public long RefusedMaps;

        public override string ToString() =>
            $"coverage: flips {Flips}, map failures {MapFailures}, full-ring flushes {FullRingFlushes}, timer flushes {TimerFlushes}, padded scatter lists {PaddedScatterLists}, refused maps {RefusedMaps}";
    }

    private sealed class TrafficStream : IDisposable
    {
        private static readonly ulong[] Granules = [512, 1024, 2048, 4096];
        private static readonly ulong[] Masks = [0xffffffff, 0x7fffffff, (1UL << 40) - 1, (1UL << 48) - 1, ulong.MaxValue];

        private readonly Random _rng;
        private readonly Coverage _coverage;
        private readonly RefusingIommu _iommu = new();
        private readonly DmaDomain _dma;
        private readonly ReferenceDmaDomain _model;
        private readonly ulong _granule;
        private readonly List<int> _devices = [];
        private readonly List<(ulong Address, ulong Size)> _live = [];
        private readonly Queue<string> _recent = new();
        private int _cpu;

        public TrafficStream(int seed, Coverage coverage)
        {
            _rng = new Random(seed);
            _coverage = coverage;
            _granule = Granules[_rng.Next(Granules.Length)];

            // A small space below 4 GiB (so that 32-bit attempts fail and devices flip) or a small aperture overall
            // (so that maps fail and flush), or a roomy one.
            ulong start, end;
            switch (_rng.Next(3))
            {
                case 0:
                    start = 0x1_0000_0000UL - _granule * (ulong)_rng.Next(64, 2048);
                    end = (1UL << 48) - 1;
                    break;
                case 1:
                    start = _granule * (ulong)_rng.Next(0, 64);
                    end = start + _granule * (ulong)_rng.Next(512, 6000) - 1;
                    break;
                default:
                    start = 0;
                    end = (1UL << _rng.Next(36, 49)) - 1;
                    break;
            }

            int cpus = _rng.Next(1, 5);
            var mode = (DmaUnmapMode)_rng.Next(3);
            Shape = $"granule {_granule}, aperture 0x{start:x}..0x{end:x}, {cpus} CPUs, {mode}";
            _dma = new DmaDomain(new DmaDomainOptions
            {
                Granule = _granule,
                ApertureStart = start,
                ApertureEnd = end,
                CpuCount = cpus,
                UnmapMode = mode,
                SimulatedTimer = true,
                Iommu = _iommu,
                DepotTrimInterval = System.Threading.Timeout.InfiniteTimeSpan,
            });
            _model = new ReferenceDmaDomain(_granule, start, end, cpus, mode);
            for (int id = 1, n = _rng.Next(1, 5); id <= n; id++)
                DeclareDevice(id);
        }

        public string Shape { get; }

        public int OpIndex { get; private set; }

        public IEnumerable<string> RecentOps => _recent;

        public void Run(int ops, int compareEvery)
        {
            for (OpIndex = 0; OpIndex < ops; OpIndex++)
            {
                int roll = _rng.Next(100);
                if (roll < 36)
                    Map();
                else if (roll < 66)
                    Unmap();
                else if (roll < 74)
                    MapScatterList();
                else if (roll < 79)
                    MapCoherent();
                else if (roll < 82)
                    MapRefused();
                else if (roll < 90)
                    Note($"cpu {_cpu = _rng.Next(_dma.CpuCount)}");
                else if (roll < 95)
                    Timeout();
                else if (roll < 97)
                    FlushCpu();
                else if (roll < 98)
                    DeclareDevice(_devices[_rng.Next(_devices.Count)]);
                else
                    Burst();

                if (OpIndex % compareEvery == 0)
                    CompareState();
            }

            CompareState();
            _coverage.Flips += _dma.WorkaroundFlips;
        }

        public void Dispose()
        {
            _dma.Dispose();
            _model.Dispose();
        }

        private void DeclareDevice(int id)
        {
            ulong mask = PickMask(), coherent = PickMask();
            bool workaround = _rng.Next(3) != 0;
            Note($"device {id} 0x{mask:x} 0x{coherent:x} {(workaround ? 1 : 0)}");
            _dma.AttachDevice(id, mask, coherent, workaround);
            _model.Declare(id, mask, coherent, workaround);
            if (!_devices.Contains(id))
                _devices.Add(id);
        }

        // A mask the aperture leaves 32 granules under (the rule AttachDevice enforces).
        private ulong PickMask()
        {
            while (true)
            {
                ulong mask = Masks[_rng.Next(Masks.Length)];
                if (Math.Min(mask, _dma.ApertureEnd) >= 32 * _granule - 1)
                    return mask;
            }
        }

        private int PickDevice() => _devices[_rng.Next(_devices.Count)];

        private ulong PickSize() => _rng.Next(10) switch
        {
            < 7 => (ulong)_rng.Next(1, 20_000),
            < 9 => (ulong)_rng.Next(1, 40) * _granule,
            _ => (ulong)_rng.Next(33, 300) * _granule + (ulong)_rng.Next(0, (int)_granule),
        };

        private ulong PickPhysical() => ((ulong)_rng.Next(0, 1 << 20) * 4096) + (ulong)_rng.Next(0, 4096);

        private void Map()
        {
            int device = PickDevice();
            ulong phys = PickPhysical(), size = PickSize();
            Note($"map {device} 0x{phys:x} {size}");
            bool ok = _dma.Cpu(_cpu).TryMap(_dma.Device(device), phys, size, out ulong address);
            Record(ok ? address : null, _model.Map(_cpu, device, phys, size), size);
        }

        private void MapCoherent()
        {
            int device = PickDevice();
            ulong size = PickSize();
            Note($"map_coherent {device} {size}");
            bool ok = _dma.Cpu(_cpu).TryMapCoherent(_dma.Device(device), 0, size, out ulong address);
            Record(ok ? address : null, _model.MapCoherent(_cpu, device, size), size);
        }

        private void MapRefused()
        {
            int device = PickDevice();
            ulong phys = PickPhysical(), size = PickSize();
            Note($"map_nomem {device} 0x{phys:x} {size}");
            _iommu.RefuseNext = true;
            Assert.False(_dma.Cpu(_cpu).TryMap(_dma.Device(device), phys, size, out _));
            if (!_iommu.RefuseNext)
                _coverage.RefusedMaps++;
            _iommu.RefuseNext = false;
            _model.MapNoMem(_cpu, device, phys, size);
        }

        private void MapScatterList()
        {
            int device = PickDevice();
            ulong boundary = _rng.Next(3) == 0 ? ulong.MaxValue : (1UL << _rng.Next(System.Numerics.BitOperations.Log2(_granule), 20)) - 1;
            var segments = new (ulong Off, ulong Len)[_rng.Next(1, 12)];
            for (int i = 0; i < segments.Length; i++)
                segments[i] = ((ulong)_rng.Next(0, 1 << 20), (ulong)_rng.Next(1, _rng.Next(2) == 0 ? 5000 : 70_000));
            Note($"map_sg {device} 0x{boundary:x} {segments.Length} {string.Join(' ', segments.Select(s => $"{s.Off} {s.Len}"))}");

            var addresses = new ulong[segments.Length];
            bool ok = _dma.Cpu(_cpu).TryMapScatterList(_dma.Device(device), boundary, [.. segments.Select(s => new ScatterSegment(s.Off, s.Len))], addresses);
            ulong[]? expected = _model.MapSg(_cpu, device, boundary, segments);
            Assert.Equal(expected is not null, ok);
            if (!ok)
            {
                _coverage.MapFailures++;
                return;
            }

            Assert.Equal(expected, addresses);
            ulong end = addresses[^1] + segments[^1].Len;
            if (end - addresses[0] > (ulong)segments.Sum(s => (long)(s.Len + (s.Off & (_granule - 1)) + _granule)))
                _coverage.PaddedScatterLists++;
            _live.Add((addresses[0], end - addresses[0]));
        }

        private void Record(ulong? actual, ulong? expected, ulong size)
        {
            Assert.Equal(expected, actual);
            if (actual is { } address)
                _live.Add((address, size));
            else
                _coverage.MapFailures++;
        }

        private void Unmap()
        {
            if (_live.Count == 0)
                return;
            var (address, size) = _live.TakeRandom(_rng);
            Note($"unmap {address} {size}");
            long flushes = _dma.IotlbFlushes;
            _dma.Cpu(_cpu).Unmap(address, size);
            _model.Unmap(_cpu, address, size);
            if (_dma.IotlbFlushes > flushes)
                _coverage.FullRingFlushes++;
        }

        // Enough unmaps on one CPU between timer ticks to fill a 256-slot ring, so that queue_iova's full-ring flush runs.
        private void Burst()
        {
            int count = _rng.Next(200, 400);
            Note($"burst of {count} maps, then their unmaps");
            int before = _live.Count;
            for (int i = 0; i < count; i++)
                Map();
            while (_live.Count > before)
                Unmap();
        }

        private void Timeout()
        {
            Note("fq_timeout");
            bool fired = _dma.FireFlushTimer();
            Assert.Equal(_model.Timeout(), fired);
            if (fired)
                _coverage.TimerFlushes++;
        }

        private void FlushCpu()
        {
            int cpu = _rng.Next(_dma.CpuCount);
            Note($"flush_cpu {cpu}");
            _dma.Iova.Cpu(cpu).Flush();
            _model.Caches.FlushCache(cpu);
        }

        private void CompareState()
        {
            Assert.Equal(_model.Caches.Tree.GetRanges(), _dma.Iova.GetRanges());
            Assert.Equal(_model.Pending, _dma.PendingUnmaps);
            Assert.Equal(_model.Flushes, _dma.IotlbFlushes);
            Assert.Equal(_model.TimerArmed, _dma.FlushTimerArmed);
            Assert.Equal(_model.Flips, _dma.WorkaroundFlips);
            foreach (int id in _devices)
                Assert.Equal(_model.Uses32BitWorkaround(id), _dma.Device(id).Uses32BitWorkaround);
        }

        private void Note(string op)
        {
            _recent.Enqueue(op);
            if (_recent.Count > 12)
                _recent.Dequeue();
        }
    }
}
