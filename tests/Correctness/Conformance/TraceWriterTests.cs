using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.Conformance;

public sealed class TraceWriterTests
{
    [Theory]
    [InlineData(TraceResultKind.Ok, 0UL, 0UL, "ok")]
    [InlineData(TraceResultKind.None, 0UL, 0UL, "none")]
    [InlineData(TraceResultKind.Fail, 0UL, 0UL, "fail")]
    [InlineData(TraceResultKind.Pfn, 133632UL, 0UL, "133632")]
    [InlineData(TraceResultKind.Range, 131072UL, 134143UL, "131072 134143")]
    [InlineData(TraceResultKind.Range, ulong.MaxValue, ulong.MaxValue, "18446744073709551615 18446744073709551615")]
    [InlineData(TraceResultKind.Count, 4UL, 0UL, "4")]
    public void Result_IsSpelledAsRecorded(TraceResultKind kind, ulong first, ulong second, string expected)
    {
        Assert.Equal(expected, new TraceResult(kind, first, second).ToString());
    }

    [Fact]
    public void RecordedTrace_IsWrittenBackLineForLine()
    {
        string path = ConformanceTraces.PathOf("b-tree-small-1.trace.gz");
        var original = new List<string>();
        using (var text = new StreamReader(new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress)))
        {
            while (text.ReadLine() is { } line)
            {
                if (line.Length > 0 && line[0] != '#')
                {
                    original.Add(line);
                }
            }
        }

        var written = new StringWriter();
        using (var reader = TraceReader.Open(path))
        using (var writer = new TraceWriter(written))
        {
            while (reader.TryRead(out var operation))
            {
                // Echo the recorded result through the formatter: the line must come back unchanged.
                writer.WriteOperation(operation, Parse(operation.ExpectedResult.ToString()));
            }
        }

        Assert.Equal(original, written.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void CreatedOperation_HasCanonicalText()
    {
        var operation = TraceOperation.Create(TraceOpCode.Alloc, 512, 262143, 0);
        var written = new StringWriter();
        using (var writer = new TraceWriter(written))
        {
            writer.WriteComment("recorded");
            writer.WriteOperation(operation, TraceResult.Pfn(133632));
        }

        Assert.Equal("# recorded\nalloc 512 262143 0 => 133632\n", written.ToString());
        Assert.Throws<ArgumentException>(() => TraceOperation.Create(TraceOpCode.Count, 1));
    }

    private static TraceResult Parse(string text) => text switch
    {
        "ok" => TraceResult.Ok,
        "none" => TraceResult.None,
        "fail" => TraceResult.Fail,
        _ when text.Split(' ') is [var lo, var hi] => new TraceResult(TraceResultKind.Range, ulong.Parse(lo), ulong.Parse(hi)),
        _ => TraceResult.Pfn(ulong.Parse(text)),
    };
}
