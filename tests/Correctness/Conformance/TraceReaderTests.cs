using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.Conformance;

public sealed class TraceReaderTests
{
    private static List<TraceOperation> Read(string text)
    {
        using var reader = new TraceReader(new StringReader(text), "test.trace");
        return reader.ReadAll().ToList();
    }

    private static TraceFormatException ReadMalformed(string text) =>
        Assert.Throws<TraceFormatException>(() => Read(text));

    [Fact]
    public void CommentsAndBlankLines_AreSkippedButCounted()
    {
        var operations = Read("# header\n\n   \t\n  # indented comment\ndomain 4096 0 => ok\ncount => 0\n");

        Assert.Equal(2, operations.Count);
        Assert.Equal(5, operations[0].LineNumber);
        Assert.Equal(TraceOpCode.Count, operations[1].OpCode);
        Assert.Equal(6, operations[1].LineNumber);
    }

    [Fact]
    public void HexAndLeadingZeroNumbers_Parse()
    {
        var operations = Read("domain 0x1000 010 => ok\nalloc 0X10 0xfFfF 00001 => 3\n");

        Assert.Equal(4096UL, operations[0][0]);
        Assert.Equal(10UL, operations[0][1]); // Leading zeros stay decimal, not octal.
        Assert.Equal(16UL, operations[1][0]);
        Assert.Equal(0xffffUL, operations[1][1]);
        Assert.Equal(1UL, operations[1][2]);
    }

    [Fact]
    public void OpTextAndResult_AreKeptAsWritten()
    {
        var operation = Read("domain 4096 0\nalloc\t0x10  262143 0   =>   131072  \n")[1];

        Assert.Equal("alloc\t0x10  262143 0", operation.Text.ToString());
        Assert.Equal("131072", operation.ExpectedResult.ToString());
        Assert.True(operation.HasExpectedResult);
    }

    [Fact]
    public void LineWithoutResult_IsAnOperationWithNothingToCompare()
    {
        var operation = Read("domain 4096 0\n")[0];

        Assert.False(operation.HasExpectedResult);
        Assert.Equal(3, Read("domain 4096 0 64\ncpu 63\nflush_cpu 63\n").Count);
    }

    [Theory]
    [InlineData("domain 4096 0\nmalloc 1 2 0 => 3\n", 2, "unknown op 'malloc'")]
    [InlineData("domain 4096 0\n# c\nalloc 1 2 => 3\n", 3, "takes 3 argument(s), got 2")]
    [InlineData("domain 4096 0\nfree 1 2 3 4\n", 2, "takes 1 argument(s), got 4")]
    [InlineData("domain 4096 0\ncount 1\n", 2, "takes 0 argument(s), got 1")]
    [InlineData("domain 4096\n", 1, "takes 2 or 3 argument(s), got 1")]
    [InlineData("domain 4096 0\nfree 12a\n", 2, "bad number '12a'")]
    [InlineData("domain 4096 0\nfree -1\n", 2, "bad number '-1'")]
    [InlineData("domain 4096 0\nfree 0x\n", 2, "bad number '0x'")]
    [InlineData("domain 4096 0\nfree 18446744073709551616\n", 2, "bad number")]
    [InlineData("domain 4096 0\nfree 72057594037927936\n", 2, "pfn 72057594037927936 is not below 2^56")]
    [InlineData("domain 4096 0\nalloc 0 100 0\n", 2, "size 0 is not in 1..2^48")]
    [InlineData("domain 4096 0\nalloc 281474976710657 0xffffffffffffff 0\n", 2, "size 281474976710657 is not in 1..2^48")]
    [InlineData("domain 4096 0\nalloc 1 100 2\n", 2, "aligned 2 is not 0 or 1")]
    [InlineData("domain 3000 0\n", 1, "granule 3000 is not a power of two")]
    [InlineData("domain 8192 0\n", 1, "granule 8192")]
    [InlineData("domain 4096 0 0\n", 1, "ncpus 0 is not in 1..64")]
    [InlineData("domain 4096 0 65\n", 1, "ncpus 65")]
    [InlineData("domain 4096 0 4\ncpu 4\n", 2, "cpu 4 is not below ncpus 4")]
    [InlineData("domain 4096 0\nflush_cpu 64\n", 2, "flush_cpu 64 is not in 0..63")]
    [InlineData("domain 4096 0\nreserve 10 9\n", 2, "pfn_lo 10 is above pfn_hi 9")]
    [InlineData("domain 4096 0\nalloc_fast 3 2 0\n", 2, "limit_pfn 2 + 1 is below the rounded size 4")]
    [InlineData("domain 4096 0\nalloc_fast 1 1 2\n", 2, "flush 2 is not 0 or 1")]
    [InlineData("# comment\n\nalloc 1 100 0\n", 3, "'alloc' before the first 'domain'")]
    [InlineData("domain 4096 0\ncount =>\n", 2, "no result after '=>'")]
    [InlineData("domain 4096 0\n=> ok\n", 2, "missing op")]
    [InlineData("domain 4096 0\nCOUNT\n", 2, "unknown op 'COUNT'")]
    public void MalformedLine_IsReportedWithItsLineNumber(string text, int line, string reason)
    {
        var error = ReadMalformed(text);

        Assert.Equal(line, error.LineNumber);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"test.trace: line {line}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArgumentsAtTheirLimits_AreAccepted()
    {
        var operations = Read(
            "domain 1 0xffffffffffffff 1\n"
            + "alloc 0x1000000000000 0xffffffffffffff 1\n"
            + "alloc_fast 3 3 0\n"
            + "alloc_fast 17 31 1\n"
            + "reserve 5 5\n"
            + "cpu 0\n");

        Assert.Equal(6, operations.Count);
    }

    [Fact]
    public void GzipFile_IsReadLikePlainText()
    {
        string path = ConformanceTraces.PathOf("a-seed-scenario.trace.gz");
        using var reader = TraceReader.Open(path);

        Assert.True(reader.TryRead(out var first));
        Assert.Equal(TraceOpCode.Domain, first.OpCode);
        Assert.Equal("ok", first.ExpectedResult.ToString());
        Assert.Equal(path, reader.SourceName);
    }
}
