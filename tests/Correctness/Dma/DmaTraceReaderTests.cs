using FastIova.Dma;
using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>The DMA ops of TRACE-FORMAT-DMA.md as the reader sees them: shapes, limits, and the lines it refuses.</summary>
public sealed class DmaTraceReaderTests
{
    private const string Domain = "dma_domain 4096 0 0xffffffffffff 4 lazy\ndevice 1 0xffffffff 0xffffffff 1\n";

    private static List<TraceOperation> Read(string text)
    {
        using var reader = new TraceReader(new StringReader(text), "test.trace");
        return reader.ReadAll().ToList();
    }

    [Fact]
    public void DmaDomain_CarriesTheModeAsItsFifthArgument()
    {
        var operations = Read("dma_domain 512 0x8000 0xffffffffffff 1 lazy-single => ok\n");

        Assert.Equal(TraceOpCode.DmaDomain, operations[0].OpCode);
        Assert.Equal((ulong)DmaUnmapMode.LazySingleQueue, operations[0][4]);
        Assert.Equal("dma_domain 4096 0 255 2 strict", TraceOperation.Create(TraceOpCode.DmaDomain, 4096, 0, 255, 2, (ulong)DmaUnmapMode.Strict).ToString());
    }

    [Fact]
    public void MapScatterList_KeepsEveryArgument()
    {
        var operation = Read(Domain + "map_sg 1 0xffff 3 0 40960 100 30000 0 8192 => 1 2 3\n")[2];

        Assert.Equal(9, operation.ArgumentCount);
        Assert.Equal(30000UL, operation[6]);
        Assert.Equal(8192UL, operation[8]);
        Assert.Equal("1 2 3", operation.ExpectedResult.ToString());
    }

    [Fact]
    public void ScatterListOf128Segments_IsAccepted()
    {
        string segments = string.Concat(Enumerable.Repeat(" 0 4096", 128));

        Assert.Equal(259, Read(Domain + "map_sg 1 0xffffffffffffffff 128" + segments + "\n")[2].ArgumentCount);
    }

    [Fact]
    public void IovaOps_AreAllowedAfterADmaDomain()
    {
        Assert.Equal(5, Read(Domain + "alloc_fast 1 1000 1\ncount\nflush_global\n").Count);
    }

    [Theory]
    [InlineData("domain 4096 1\nmap 1 0 1\n", 2, "'map' needs a 'dma_domain'")]
    [InlineData("domain 4096 1\nfq_timeout\n", 2, "'fq_timeout' needs a 'dma_domain'")]
    [InlineData(Domain + "domain 4096 1\nunmap 4096 1\n", 4, "needs a 'dma_domain'")]
    [InlineData("dma_domain 4096 0 0xffffffffffff 4 sloppy\n", 1, "unknown mode 'sloppy'")]
    [InlineData("dma_domain 256 0 0xffffffffffff 4 strict\n", 1, "granule 256 is not a power of two from 512 to 4096")]
    [InlineData("dma_domain 4096 0x2000 0x1000 4 strict\n", 1, "aperture_start 8192 is above aperture_end 4096")]
    [InlineData("dma_domain 4096 0 0xffffffffffff 0 strict\n", 1, "ncpus 0")]
    [InlineData("dma_domain 4096 0 0xffffffffffff 4\n", 1, "takes 5 argument(s), got 4")]
    [InlineData(Domain + "device 4096 0xffffffff 0xffffffff 0\n", 3, "device id 4096")]
    [InlineData(Domain + "device 2 0xffff 0xffffffff 0\n", 3, "dma_mask 65535 capped at the aperture leaves fewer than 32 granules")]
    [InlineData(Domain + "device 2 0xffffffff 0xfff 0\n", 3, "coherent_mask 4095")]
    [InlineData(Domain + "device 2 0xffffffff 0xffffffff 2\n", 3, "workaround 2 is not 0 or 1")]
    [InlineData(Domain + "map 2 0 4096\n", 3, "device 2 was not declared")]
    [InlineData(Domain + "map 1 0 0\n", 3, "size 0 is not in 1..2^48 granules")]
    [InlineData(Domain + "map 1 0xffffffffffffffff 2\n", 3, "is beyond 2^64")]
    [InlineData(Domain + "map_coherent 1 0\n", 3, "size 0")]
    [InlineData(Domain + "map_nomem 1 0 0\n", 3, "size 0")]
    [InlineData(Domain + "unmap 4096 0\n", 3, "unmap size 0")]
    [InlineData(Domain + "dma_reserve 0xfee00000 0\n", 3, "is empty or ends beyond 2^64")]
    [InlineData(Domain + "dma_reserve 0xffffffffffffffff 2\n", 3, "ends beyond 2^64")]
    [InlineData(Domain + "map_sg 1 0xffff 2 0 4096\n", 3, "with 2 segments takes 7 arguments, got 5")]
    [InlineData(Domain + "map_sg 1 0xffff 0 0 4096\n", 3, "segment count 0")]
    [InlineData(Domain + "map_sg 1 0xfff0 1 0 4096\n", 3, "boundary_mask 65520 is not 2^k - 1")]
    [InlineData(Domain + "map_sg 1 0x7ff 1 0 4096\n", 3, "boundary_mask 2047")]
    [InlineData(Domain + "map_sg 1 0xffff 1 1048576 4096\n", 3, "segment offset 1048576 is not below 2^20")]
    [InlineData(Domain + "map_sg 1 0xffff 1 0 0\n", 3, "segment length 0 is not in 1..2^30")]
    [InlineData(Domain + "map_sg 1 0xffff 1 0 1073741825\n", 3, "segment length 1073741825")]
    [InlineData(Domain + "cpu 4\n", 3, "cpu 4 is not below ncpus 4")]
    public void MalformedDmaLine_IsReportedWithItsLineNumber(string text, int line, string reason)
    {
        var error = Assert.Throws<TraceFormatException>(() => Read(text));

        Assert.Equal(line, error.LineNumber);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddressListResult_FormatsAsTheTracesSpellIt()
    {
        Assert.Equal("1 22 333", TraceResult.AddressList(new ulong[] { 1, 22, 333 }).ToString());
        Assert.Equal("idle", TraceResult.Idle.ToString());
        Assert.Equal("18446744073709551615", TraceResult.Address(ulong.MaxValue).ToString());
    }

    [Fact]
    public void LongestResult_FitsTheAdvertisedLength()
    {
        var addresses = Enumerable.Repeat(ulong.MaxValue, TraceSyntax.MaxScatterSegments).ToArray();
        Span<char> buffer = stackalloc char[TraceResult.MaxFormattedLength];

        Assert.True(TraceResult.AddressList(addresses).TryFormat(buffer, out int written));
        Assert.Equal(TraceSyntax.MaxScatterSegments * 21 - 1, written);
    }
}
