using System.Xml.Linq;
using FastIova.Cli.Inspection;
using FastIova.Tests.Correctness.Conformance;
using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.Cli;

/// <summary>
/// <c>fastiova stats</c> and <c>fastiova map</c> on DMA traces: the queued ranges the inspector derives are exactly what
/// the domain's flush queues hold, at several points of every public DMA trace.
/// </summary>
public sealed class DmaInspectionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fastiova-dma-inspect-").FullName;

    public static TheoryData<string> DmaTraces => ConformanceTraces.Dma;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(DmaTraces))]
    public void QueuedAndCachedRanges_AreExactlyWhatTheQueuesAndCachesHold(string trace)
    {
        string path = ConformanceTraces.PathOf(trace);
        long operations = CountOperations(path);
        int pointsWithQueued = 0;
        foreach (double fraction in new[] { 0.25, 0.5, 0.75, 0.95 })
        {
            long at = (long)(operations * fraction);
            using var inspector = TraceInspector.Replay(path, at);
            var snapshot = inspector.Snapshot();
            Assert.Equal(0, inspector.Mismatches);
            Assert.NotNull(snapshot.Dma);

            // The same prefix in a plain replayer; then the queues flushed to the tree (the ranges that leave it were
            // queued), then the caches (the ranges that leave it now were cached).
            using var replayer = ReplayPrefix(path, at);
            var dma = replayer.DmaDomain!;
            var domain = replayer.Domain!;
            var before = domain.GetRanges();
            Assert.Equal(dma.PendingUnmaps, snapshot.Dma!.PendingUnmaps);
            dma.FlushUnmapQueues();
            var afterQueues = domain.GetRanges();
            domain.FlushCaches();

            Assert.Equal(before, snapshot.Ranges);
            Assert.Equal(before.Except(afterQueues), snapshot.Queued);
            Assert.Equal(snapshot.Dma.PendingUnmaps, snapshot.Queued.Length);
            Assert.Equal(afterQueues.Except(domain.GetRanges()), snapshot.Cached);
            Assert.Empty(snapshot.Queued.Intersect(snapshot.Cached));
            pointsWithQueued += snapshot.Queued.Length > 0 ? 1 : 0;
        }

        // The lazy traces are caught with ranges in their queues.
        if (trace.Contains("lazy", StringComparison.Ordinal))
        {
            Assert.True(pointsWithQueued > 0, "no point with queued ranges");
        }
    }

    [Fact]
    public void Stats_OfADmaTrace_ShowsQueuesFlushesMapsAndFlips()
    {
        string path = ConformanceTraces.PathOf(Path.Combine("dma", "n-dma-workaround-flip.trace.gz"));

        var (exitCode, output, error) = CliRunner.Invoke("stats", path);

        Assert.True(exitCode == 0, error);
        foreach (string expected in new[] { "DMA layer", "strict (unmaps free at once)", "IOTLB flushes", "flush timer", "map_nomem", "workaround flips", "device 5 at op 14,627 (line 14639)" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Stats_OfALazyTrace_CountsTheQueuedEntries()
    {
        string path = ConformanceTraces.PathOf(Path.Combine("dma", "l-dma-lazy-percpu.trace.gz"));
        using var inspector = TraceInspector.Replay(path, 3000);
        int queued = inspector.Snapshot().Queued.Length;
        Assert.True(queued > 0);

        var (exitCode, output, _) = CliRunner.Invoke("stats", path, "--at", "3000");

        Assert.Equal(0, exitCode);
        Assert.Contains($"{queued} entries: {queued} ranges", output, StringComparison.Ordinal);
        Assert.Contains("timer", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_DrawsQueuedRanges_InTheirOwnColour()
    {
        string path = ConformanceTraces.PathOf(Path.Combine("dma", "l-dma-lazy-percpu.trace.gz"));
        string svg = Path.Combine(_folder, "map.svg");

        var (exitCode, output, error) = CliRunner.Invoke("map", path, "--svg", svg, "--at", "3000");

        Assert.True(exitCode == 0, error);
        Assert.Contains("queued", output, StringComparison.Ordinal);
        var document = XDocument.Parse(File.ReadAllText(svg));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var space = document.Descendants(ns + "g").Single(g => (string?)g.Attribute("id") == "space");
        var drawn = space.Elements(ns + "rect")
            .Where(r => r.Attribute("data-lo") is not null)
            .Select(r => (Kind: (string)r.Attribute("class")!, Fill: (string)r.Attribute("fill")!, Range: new IovaRange((ulong)r.Attribute("data-lo")!, (ulong)r.Attribute("data-hi")!)))
            .ToArray();
        using var inspector = TraceInspector.Replay(path, 3000);
        var snapshot = inspector.Snapshot();

        Assert.NotEmpty(snapshot.Queued);
        Assert.Equal(snapshot.Ranges, drawn.Select(d => d.Range));
        Assert.Equal(snapshot.Queued, drawn.Where(d => d.Kind == "queued").Select(d => d.Range));
        Assert.Equal(snapshot.Cached, drawn.Where(d => d.Kind == "cached").Select(d => d.Range));

        // Its own colour, distinct from live, cached and free, with a legend entry.
        string queuedFill = drawn.First(d => d.Kind == "queued").Fill;
        Assert.Single(drawn.Where(d => d.Kind == "queued").Select(d => d.Fill).Distinct());
        Assert.DoesNotContain(queuedFill, drawn.Where(d => d.Kind != "queued").Select(d => d.Fill));
        var legend = document.Descendants(ns + "g").Single(g => (string?)g.Attribute("id") == "legend");
        Assert.Contains(legend.Elements(ns + "rect"), r => (string?)r.Attribute("fill") == queuedFill);
        Assert.Contains("queued (unmapped, awaiting an IOTLB flush)", legend.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(queuedFill, space.Elements(ns + "rect").Where(r => (string?)r.Attribute("class") == "free").Select(r => (string)r.Attribute("fill")!));
    }

    private static long CountOperations(string path)
    {
        using var reader = TraceReader.Open(path);
        long count = 0;
        while (reader.TryRead(out _))
        {
            count++;
        }

        return count;
    }

    private static TraceReplayer ReplayPrefix(string path, long operations)
    {
        var replayer = new TraceReplayer();
        using var reader = TraceReader.Open(path);
        for (long i = 0; i < operations && reader.TryRead(out var operation); i++)
        {
            replayer.Execute(operation);
        }

        return replayer;
    }
}
