using FastIova.Cli;
using Xunit;

namespace FastIova.Tests.Correctness.Cli;

public sealed class DemoCommandTests
{
    [Fact]
    public void Demo_ShowsTheRetryPassPlacementAndAThroughput()
    {
        var output = new StringWriter();

        int exitCode = DemoCommand.Run(seconds: 0.2, output);

        string text = output.ToString();
        Assert.Equal(0, exitCode);
        Assert.Contains("alloc   2 MB -> pfn 133632", text, StringComparison.Ordinal);
        Assert.Contains("Mops/s", text, StringComparison.Ordinal);
        Assert.Contains("cache hit rate", text, StringComparison.Ordinal);
    }
}
