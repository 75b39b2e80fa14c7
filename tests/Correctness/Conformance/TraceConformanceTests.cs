using FastIova.Trace;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Conformance;

/// <summary>Every public kernel-recorded trace replays without a single differing result.</summary>
public sealed class TraceConformanceTests(ITestOutputHelper output)
{
    private const int MismatchesShown = 10;

    [Theory]
    [MemberData(nameof(ConformanceTraces.TreeOnly), MemberType = typeof(ConformanceTraces))]
    public void TreeTrace_ReproducesEveryKernelResult(string trace) => AssertConforms(trace);

    [Theory]
    [MemberData(nameof(ConformanceTraces.FastPath), MemberType = typeof(ConformanceTraces))]
    public void FastPathTrace_ReproducesEveryKernelResult(string trace) => AssertConforms(trace);

    [Theory]
    [MemberData(nameof(ConformanceTraces.Dma), MemberType = typeof(ConformanceTraces))]
    public void DmaTrace_ReproducesEveryKernelResult(string trace) => AssertConforms(trace);

    [Fact]
    public void EveryFamily_HasAtLeastOneTrace()
    {
        Assert.NotEmpty(ConformanceTraces.TreeOnly);
        Assert.NotEmpty(ConformanceTraces.FastPath);
        Assert.True(ConformanceTraces.Dma.Count >= 9, "the nine public DMA traces");
    }

    private void AssertConforms(string trace)
    {
        var result = TraceReplayer.ReplayFile(ConformanceTraces.PathOf(trace), MismatchesShown);
        output.WriteLine($"{trace}: {result.Operations} ops, {result.MismatchCount} mismatches");
        foreach (var mismatch in result.Mismatches)
        {
            output.WriteLine(mismatch.ToString());
        }

        Assert.True(result.Operations > 0, $"{trace} holds no operations");
        Assert.True(
            result.Conforms,
            $"{trace}: {result.MismatchCount} of {result.Operations} results differ; first:{Environment.NewLine}"
            + string.Join(Environment.NewLine, result.Mismatches));
    }
}
