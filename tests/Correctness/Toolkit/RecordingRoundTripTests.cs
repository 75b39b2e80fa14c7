using System.CommandLine;
using FastIova.Cli;
using FastIova.Trace;
using FastIova.Tests.Correctness.Cli;
using Xunit;
using FastIova.Tests.Correctness.Support;

namespace FastIova.Tests.Correctness.Toolkit;

/// <summary>A run recorded with <see cref="TraceRecorder"/> replays with every result equal, in the library and in <c>fastiova replay</c>.</summary>
public sealed class RecordingRoundTripTests : IDisposable
{
    private const ulong Granule = 4096;
    private const ulong SmallLimit = 2047;
    private readonly string _folder = Directory.CreateTempSubdirectory("fastiova-recording-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SeededRun_ReplaysWithoutMismatch(int seed)
    {
        string trace = Record(recorder => SeededRun(recorder, seed));

        var result = Replay(trace);

        Assert.True(result.Operations > 3000, $"only {result.Operations} ops recorded");
        Assert.True(result.Conforms, string.Join(Environment.NewLine, result.Mismatches));
        Assert.Contains("=> fail", trace, StringComparison.Ordinal);
        Assert.Contains("\ncpu 3 => ok", trace, StringComparison.Ordinal);
        Assert.Contains("\nflush_global => ok", trace, StringComparison.Ordinal);
        Assert.Contains("\ndepot_trim => ok", trace, StringComparison.Ordinal);
        Assert.Contains("\nreserve ", trace, StringComparison.Ordinal);
    }

    [Fact]
    public void SeededRun_ReplaysWithoutMismatch_InTheReplayCommand()
    {
        string path = Path.Combine(_folder, "seeded.trace");
        File.WriteAllText(path, Record(recorder => SeededRun(recorder, seed: 7)));
        var (exitCode, output, error) = CliRunner.Invoke("replay", path);

        Assert.Equal(0, exitCode);
        Assert.Contains(" 0 mismatches", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public void ConcurrentThreads_RecordATraceThatReplaysExactly()
    {
        string trace = Record(recorder =>
        {
            using var domain = NewDomain(recorder, cpuCount: 4);

            // Odd threads go through an IovaCache each: recorded, like the per-thread path, on the CPU they run on.
            var threads = Enumerable.Range(0, 6).Select(index => new Thread(() => ThreadRun(domain, index, owned: index % 2 == 1))).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }
        });

        var result = Replay(trace);

        Assert.True(result.Operations > 6 * 500, $"only {result.Operations} ops recorded");
        Assert.True(result.Conforms, string.Join(Environment.NewLine, result.Mismatches));
    }

    [Fact]
    public void OwnedCachesWhileRecording_DoNotChangeTheDepotTrimThreshold()
    {
        // More owned caches than CPUs: were they counted as caches, the trim threshold would rise from 1 to 3 and the
        // recorded trims would not replay.
        string trace = Record(recorder =>
        {
            using var domain = NewDomain(recorder, cpuCount: 1);
            var caches = Enumerable.Range(0, 3).Select(_ => domain.CreateCache()).ToArray();
            var pfns = new List<ulong>();
            for (int i = 0; i < 700; i++)
            {
                Assert.True(caches[i % 3].TryAllocateFast(1, domain.Dma32Pfn - 1, false, out ulong pfn));
                pfns.Add(pfn);
            }

            for (int i = 0; i < pfns.Count; i++)
            {
                caches[i % 3].FreeFast(pfns[i], 1);
            }

            // 700 frees into one CPU's cache: 127 in loaded, 127 in prev, four full magazines in the depot.
            Assert.Equal(4, domain.GetStatistics().DepotMagazines);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(i < 3 ? 1 : 0, domain.TrimDepot());
            }

            foreach (var cache in caches)
            {
                cache.Dispose();
            }
        });

        var result = Replay(trace);
        Assert.True(result.Conforms, string.Join(Environment.NewLine, result.Mismatches));
    }

    private static string Record(Action<TraceRecorder> run)
    {
        var text = new StringWriter();
        using (var recorder = new TraceRecorder(text))
        {
            recorder.Comment("recorded by RecordingRoundTripTests");
            run(recorder);
            recorder.Flush();
        }

        return text.ToString();
    }

    private static TraceReplayResult Replay(string trace)
    {
        using var reader = new TraceReader(new StringReader(trace), "recorded");
        using var replayer = new TraceReplayer();
        return replayer.Replay(reader);
    }

    private static IovaDomain NewDomain(TraceRecorder recorder, int cpuCount) => new(Granule, 1, new IovaDomainOptions
    {
        CpuCount = cpuCount,
        DepotTrimInterval = Timeout.InfiniteTimeSpan,

        // The trace format has no magazine size or class count: a recording must keep the kernel's (127, 6).
        Recorder = recorder,
    });

    /// <summary>Tree ops, simulated CPUs with switches, the per-thread fast path from two threads, flushes and trims, on a space small enough to fail.</summary>
    private static void SeededRun(TraceRecorder recorder, int seed)
    {
        var random = new Random(seed);
        using var domain = NewDomain(recorder, cpuCount: 4);
        var tree = new List<ulong>();
        var fast = new List<(ulong Pfn, ulong Size)>();
        for (int step = 0; step < 3000; step++)
        {
            int cpu = random.Next(4);
            switch (random.Next(100))
            {
                case < 20:
                    if (domain.TryAllocate((ulong)random.Next(1, 65), random.Next(2) == 0 ? SmallLimit : SmallLimit / 2, random.Next(2) == 0, out var range))
                    {
                        tree.Add(range.PfnLo);
                    }

                    break;
                case < 32 when tree.Count > 0:
                    domain.Free(tree.TakeRandom(random));
                    break;
                case < 34:
                {
                    // free_iova of a pfn in no range: "none".
                    ulong pfn = (ulong)random.Next(1, 2100);
                    if (domain.Find(pfn) is null)
                    {
                        domain.Free(pfn);
                    }

                    break;
                }
                case < 38:
                    domain.Find((ulong)random.Next(0, 4200));
                    break;
                case < 40:
                {
                    // Reserved windows stay above the allocations' limit, so that they never extend a live range.
                    ulong lo = (ulong)random.Next(3000, 4000);
                    domain.Reserve(lo, lo + (ulong)random.Next(0, 50));
                    break;
                }

                case < 62:
                {
                    ulong size = (ulong)random.Next(1, 41);
                    if (domain.Cpu(cpu).TryAllocateFast(size, SmallLimit, random.Next(3) == 0, out ulong pfn))
                    {
                        fast.Add((pfn, size));
                    }

                    break;
                }

                case < 86 when fast.Count > 0:
                {
                    var (pfn, size) = fast.TakeRandom(random);
                    domain.Cpu(cpu).FreeFast(pfn, size);
                    break;
                }

                case < 89:
                    domain.Cpu(cpu).Flush();
                    break;
                case < 91:
                    domain.FlushCaches();
                    break;
                case < 93:
                    domain.FlushDepot();
                    break;
                case < 96:
                    domain.TrimDepot();
                    break;
                default:
                    _ = domain.Count;
                    break;
            }
        }

        // The per-thread API from two threads, one after the other: recorded on the CPU each thread runs on.
        foreach (int thread in new[] { 0, 1 })
        {
            var worker = new Thread(() => ThreadRun(domain, 100 + thread, steps: 300));
            worker.Start();
            worker.Join();
        }
    }

    /// <summary>One thread's share: per-thread fast path (or an owned cache), tree ops and flushes on the shared domain.</summary>
    private static void ThreadRun(IovaDomain domain, int seed, int steps = 600, bool owned = false)
    {
        using var cache = owned ? domain.CreateCache() : null;
        var random = new Random(seed);
        var fast = new List<(ulong Pfn, ulong Size)>();
        var tree = new List<ulong>();
        for (int step = 0; step < steps; step++)
        {
            switch (random.Next(100))
            {
                case < 40:
                {
                    ulong size = (ulong)random.Next(1, 33);
                    bool flush = random.Next(2) == 0;
                    ulong pfn;
                    if (cache is null ? domain.TryAllocateFast(size, SmallLimit, flush, out pfn) : cache.TryAllocateFast(size, SmallLimit, flush, out pfn))
                    {
                        fast.Add((pfn, size));
                    }

                    break;
                }

                case < 80 when fast.Count > 0:
                {
                    var (pfn, size) = fast[^1];
                    fast.RemoveAt(fast.Count - 1);
                    if (cache is null)
                    {
                        domain.FreeFast(pfn, size);
                    }
                    else
                    {
                        cache.FreeFast(pfn, size);
                    }

                    break;
                }

                case < 88:
                    if (domain.TryAllocate((ulong)random.Next(1, 17), SmallLimit, sizeAligned: false, out var range))
                    {
                        tree.Add(range.PfnLo);
                    }

                    break;
                case < 95 when tree.Count > 0:
                    domain.Free(tree.TakeRandom(random));
                    break;
                case < 97:
                    domain.Cpu(random.Next(domain.CpuCount)).Flush();
                    break;
                case < 99:
                    domain.TrimDepot();
                    break;
                default:
                    domain.FlushCaches();
                    break;
            }
        }

        foreach (var (pfn, size) in fast)
        {
            domain.FreeFast(pfn, size);
        }
    }
}
