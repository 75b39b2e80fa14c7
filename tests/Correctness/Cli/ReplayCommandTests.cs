using System.CommandLine;
using FastIova.Cli;
using FastIova.Tests.Correctness.Conformance;
using Xunit;

namespace FastIova.Tests.Correctness.Cli;

public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fastiova-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void MalformedTrace_ExitsWith2AndNamesTheLine()
    {
        string path = Write("bad.trace", "# header\n\nfree 1\n");

        var (exitCode, output, error) = CliRunner.Invoke("replay", path);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{path}: line 3: 'free' before the first 'domain'", error, StringComparison.Ordinal);
        Assert.EndsWith("replay: 0 ops, 0 mismatches" + Environment.NewLine, output, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_ExitsWith2()
    {
        var (exitCode, _, error) = CliRunner.Invoke("replay", Path.Combine(_folder, "absent.trace"));

        Assert.Equal(2, exitCode);
        Assert.Contains("cannot read", error, StringComparison.Ordinal);
    }

    [Fact]
    public void NoFile_IsACommandLineError()
    {
        var (exitCode, _, error) = CliRunner.Invoke("replay");

        Assert.Equal(1, exitCode);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Help_ListsTheExitCodes()
    {
        var (exitCode, output, _) = CliRunner.Invoke("replay", "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("2 = a malformed or unreadable trace", output, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchingAndMismatchingTraces_AreSummedOnTheLastLine()
    {
        string good = ConformanceTraces.PathOf("a-seed-scenario.trace.gz");
        string bad = Write("wrong.trace", "domain 4096 0 => ok\nalloc 1 100 0 => 100\nalloc 1 100 0 => 1\n");

        var (exitCode, output, _) = CliRunner.Invoke("replay", bad, good);

        Assert.Equal(1, exitCode);
        string[] lines = output.TrimEnd().Split(Environment.NewLine);
        Assert.Equal($"{bad}: 3 ops, 1 mismatches", lines[0]);
        Assert.Equal("  line 3: alloc 1 100 0 => expected 1, got 99", lines[1]);
        Assert.StartsWith($"{good}: ", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^replay: \d+ ops, 1 mismatches$", lines[^1]);
    }

    [Theory]
    [InlineData(200_000)]
    [InlineData(1_000)]
    public void TruncatedCompressedTrace_ExitsWith2NamingTheFileAndHowFarItGot(int keptBytes)
    {
        byte[] whole = File.ReadAllBytes(ConformanceTraces.PathOf("dma/o-dma-map-sg.trace.gz"));
        string path = Path.Combine(_folder, "cut.trace.gz");
        File.WriteAllBytes(path, whole[..keptBytes]);

        var (exitCode, output, error) = CliRunner.Invoke("replay", path);

        Assert.Equal(2, exitCode);
        Assert.Matches($@"^malformed trace: {System.Text.RegularExpressions.Regex.Escape(path)}: line \d+: unreadable after this line: .*truncated or corrupt", error.Trim());
        Assert.DoesNotContain(" 0 mismatches" + Environment.NewLine + "replay", output, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptCompressedTrace_ExitsWith2()
    {
        byte[] bytes = File.ReadAllBytes(ConformanceTraces.PathOf("dma/k-dma-example.trace.gz"));
        bytes[^6] ^= 0xff; // the trailer's CRC no longer matches the data
        string path = Path.Combine(_folder, "corrupt.trace.gz");
        File.WriteAllBytes(path, bytes);

        var (exitCode, _, error) = CliRunner.Invoke("replay", path);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{path}: line ", error, StringComparison.Ordinal);
        Assert.Contains("unreadable after this line", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DmaTrace_ReplaysWithTheSameOutputLines()
    {
        string path = ConformanceTraces.PathOf("dma/k-dma-example.trace.gz");

        var (exitCode, output, _) = CliRunner.Invoke("replay", path);

        Assert.Equal(0, exitCode);
        Assert.Equal([$"{path}: 628 ops, 0 mismatches", "replay: 628 ops, 0 mismatches"], output.TrimEnd().Split(Environment.NewLine));
    }
}
