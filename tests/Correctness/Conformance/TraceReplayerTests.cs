using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.Conformance;

public sealed class TraceReplayerTests
{
    private static TraceReplayResult Replay(string text)
    {
        using var reader = new TraceReader(new StringReader(text), "inline.trace");
        using var replayer = new TraceReplayer();
        return replayer.Replay(reader);
    }

    [Fact]
    public void SeedScenario_MatchesAndAWrongResultIsReportedWithItsLine()
    {
        var result = Replay(
            "domain 4096 0 => ok\n"
            + "alloc 128000 262143 0 => 134144\n"
            + "alloc 3072 262143 0 => 131072\n"
            + "alloc 127744 262143 0 => 3328\n"
            + "free 131072 => ok\n"
            + "alloc 3328 262143 0 => 0\n"
            + "# the retry pass finds the hole above the cached node\n"
            + "alloc 512 262143 0 => fail\n"
            + "find 133700 => 133632 134143\n"
            + "count => 4\n");

        Assert.Equal(9, result.Operations);
        var mismatch = Assert.Single(result.Mismatches);
        Assert.Equal(new TraceMismatch(8, "alloc 512 262143 0", "fail", "133632"), mismatch);
    }

    [Fact]
    public void FreeFastOfAPfnThatStartsNoRange_IsMalformed()
    {
        var error = Assert.Throws<TraceFormatException>(() => Replay("domain 4096 1 2\nalloc 4 100 0 => 97\nfree_fast 98 1\n"));

        Assert.Equal(3, error.LineNumber);
    }

    [Fact]
    public void FlushOfAnOfflineCpu_IsANoOp()
    {
        var result = Replay("domain 4096 1 2\nalloc_fast 1 100 0 => 100\nfree_fast 100 1 => ok\nflush_cpu 63 => ok\ncount => 1\nflush_cpu 0 => ok\ncount => 0\n");

        Assert.True(result.Conforms, string.Join("\n", result.Mismatches));
    }
}
