using System.CommandLine;
using System.Xml.Linq;
using FastIova.Cli;
using FastIova.Cli.Inspection;
using FastIova.Tests.Correctness.Cli;
using FastIova.Tests.Correctness.Conformance;
using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.Toolkit;

/// <summary><c>fastiova stats</c> and <c>fastiova map</c>, and the replay that feeds them.</summary>
public sealed class InspectionCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fastiova-inspect-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("e-fast-4cpu.trace.gz", 3000)]
    [InlineData("e-fast-4cpu.trace.gz", 20000)]
    [InlineData("f-fast-exhaust-1.trace.gz", 12000)]
    [InlineData("f-fast-exhaust-1.trace.gz", null)]
    public void CachedRanges_AreExactlyWhatAFlushReturnsToTheTree(string trace, int? at)
    {
        string path = ConformanceTraces.PathOf(trace);
        using var inspector = TraceInspector.Replay(path, at);
        var snapshot = inspector.Snapshot();

        // The same prefix in a plain replayer, then every cache flushed: the ranges that leave the tree were cached.
        using var reader = TraceReader.Open(path);
        using var replayer = new TraceReplayer();
        for (long i = 0; i < inspector.Operations && reader.TryRead(out var operation); i++)
        {
            replayer.Execute(operation);
        }

        var domain = replayer.Domain!;
        var before = domain.GetRanges();
        domain.FlushCaches();
        var flushed = before.Except(domain.GetRanges()).ToArray();

        Assert.Equal(before, snapshot.Ranges);
        Assert.Equal(flushed, snapshot.Cached);
        if (at is not null)
        {
            Assert.NotEmpty(snapshot.Cached);
        }
    }

    [Fact]
    public void FreeSpace_Fragmentation_IsOneMinusLargestGapOverFree()
    {
        IovaRange[] ranges = [new(10, 19), new(30, 39), new(100, 199)];

        var space = FreeSpace.Measure(ranges, 0, 299);

        // Free: [0,9] 10, [20,29] 10, [40,99] 60, [200,299] 100.
        Assert.Equal(180UL, space.TotalFree);
        Assert.Equal(new IovaRange(200, 299), space.LargestGap);
        Assert.Equal(4, space.GapCount);
        Assert.Equal(1 - 100.0 / 180, space.Fragmentation!.Value, 12);
        Assert.Null(FreeSpace.Measure([new(0, 9)], 0, 9).Fragmentation);
        Assert.Equal(0.0, FreeSpace.Measure([], 5, 9).Fragmentation);
    }

    [Fact]
    public void Stats_PrintsTheFiguresOfTheLastDomain()
    {
        string path = ConformanceTraces.PathOf("f-fast-exhaust-1.trace.gz");
        using var inspector = TraceInspector.Replay(path);
        var snapshot = inspector.Snapshot();

        var (exitCode, output, error) = CliRunner.Invoke("stats", path);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
        Assert.Contains($"{inspector.Operations} ops replayed, 0 mismatches, 1 domain(s)", output, StringComparison.Ordinal);
        Assert.Contains($"{snapshot.Statistics.LiveRanges:N0} ranges", output, StringComparison.Ordinal);
        Assert.Contains(Units.Fragmentation(snapshot.Below32Bit.Fragmentation), output, StringComparison.Ordinal);
        Assert.Contains("alloc_fast, flush=0 (cache-only)", output, StringComparison.Ordinal);
        Assert.True(snapshot.Activity.FastFailuresCacheOnly > 0);
        Assert.Contains("Range caches", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_OfATraceWithSeveralDomains_ListsEachOne()
    {
        var (exitCode, output, _) = CliRunner.Invoke("stats", ConformanceTraces.PathOf("a-seed-scenario.trace.gz"));

        Assert.Equal(0, exitCode);
        Assert.Contains("10 domain(s)", output, StringComparison.Ordinal);
        Assert.Contains("Domains (each as its last op left it)", output, StringComparison.Ordinal);
        Assert.Contains("Space: domain of line 133", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_WithoutADomainLine_ExitsWith2()
    {
        string path = Path.Combine(_folder, "empty.trace");
        File.WriteAllText(path, "# nothing here\n");

        var (exitCode, _, error) = CliRunner.Invoke("stats", path);

        Assert.Equal(2, exitCode);
        Assert.Contains("no 'domain' line", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("e-fast-4cpu.trace.gz", "5000")]
    [InlineData("h-dma32-stream.trace.gz", null)]
    [InlineData("i-window-edges.trace.gz", null)]
    public void Map_DrawsEveryRangeOfTheDomain_AsLiveOrCached(string trace, string? at)
    {
        string path = ConformanceTraces.PathOf(trace);
        string svg = Path.Combine(_folder, "map.svg");
        string[] args = at is null ? ["map", path, "--svg", svg] : ["map", path, "--svg", svg, "--at", at];

        var (exitCode, output, error) = CliRunner.Invoke(args);

        Assert.True(exitCode == 0, error);
        Assert.Contains(svg, output, StringComparison.Ordinal);
        var document = XDocument.Parse(File.ReadAllText(svg));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var space = document.Descendants(ns + "g").Single(g => (string?)g.Attribute("id") == "space");
        var drawn = space.Elements(ns + "rect")
            .Where(r => r.Attribute("data-lo") is not null)
            .Select(r => (Kind: (string)r.Attribute("class")!, Range: new IovaRange((ulong)r.Attribute("data-lo")!, (ulong)r.Attribute("data-hi")!)))
            .ToArray();

        using var inspector = TraceInspector.Replay(path, at is null ? null : long.Parse(at, System.Globalization.CultureInfo.InvariantCulture));
        var snapshot = inspector.Snapshot();
        Assert.Equal(snapshot.Ranges, drawn.Select(d => d.Range));
        Assert.Equal(snapshot.Cached, drawn.Where(d => d.Kind == "cached").Select(d => d.Range));
        Assert.All(drawn, d => Assert.Contains(d.Kind, new[] { "live", "cached" }));
        Assert.Contains("4 GiB = pfn", document.ToString(), StringComparison.Ordinal);
        Assert.Contains($"start_pfn {snapshot.StartPfn}", document.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Map_WithoutSvg_IsACommandLineError()
    {
        var (exitCode, _, error) = CliRunner.Invoke("map", ConformanceTraces.PathOf("a-seed-scenario.trace.gz"));

        Assert.Equal(1, exitCode);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void ReplayProgress_IsNotShownWhenStderrIsNotATerminal()
    {
        Assert.False(ReplayProgress.ShouldShow(ConformanceTraces.PathOf("c-tree-large-1.trace.gz"), new StringWriter()));
    }
}
