using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.Toolkit;

/// <summary>A recorded trace must replay exactly, so a recorder refuses what the trace format cannot say.</summary>
public sealed class RecorderOptionsTests
{
    [Theory]
    [InlineData(127, 6, 65)]
    [InlineData(4, 6, 4)]
    [InlineData(127, 5, 4)]
    public void Recorder_RefusesDomainsTheFormatCannotDescribe(int magazineSize, int sizeClasses, int cpuCount)
    {
        var text = new StringWriter();
        using var recorder = new TraceRecorder(text);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new IovaDomain(4096, 1, new IovaDomainOptions
        {
            Recorder = recorder,
            MagazineSize = magazineSize,
            SizeClasses = sizeClasses,
            CpuCount = cpuCount,
        }));

        Assert.Equal("options", error.ParamName);
        Assert.Equal(string.Empty, text.ToString());
    }

    [Fact]
    public void Recorder_WritesTheDomainLine_ForTheKernelsCacheShape()
    {
        var text = new StringWriter();
        using var recorder = new TraceRecorder(text);

        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions { Recorder = recorder, CpuCount = 4, DepotTrimInterval = Timeout.InfiniteTimeSpan });

        Assert.Equal("domain 4096 1 4 => ok" + Environment.NewLine, text.ToString());
    }
}
