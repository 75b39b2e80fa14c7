using FastIova.Cli;
using Xunit;

namespace FastIova.Tests.Correctness.Cli;

public sealed class DemoCommandTests
{
    [Fact]
    public void Demo_ShowsTheRetryPassPlacementTheDmaModesTheFlipAndAThroughput()
    {
        var output = new StringWriter();

        int exitCode = DemoCommand.Run(seconds: 0.2, output);

        string text = output.ToString();
        Assert.Equal(0, exitCode);
        Assert.Contains("alloc   2 MB -> pfn 133632", text, StringComparison.Ordinal);
        Assert.Contains("Mops/s", text, StringComparison.Ordinal);
        Assert.Contains("cache hit rate", text, StringComparison.Ordinal);

        // The DMA sections: the same traffic gives different addresses in strict and lazy mode, and a PCI device flips.
        Assert.Contains("packet  4 on CPU 0:                        strict 0xfffff002   lazy 0xffffb002   <- differs", text, StringComparison.Ordinal);
        Assert.Contains("packet 10 on CPU 0, after the timer:       strict 0xffffd002   lazy 0xffffa002   <- differs", text, StringComparison.Ordinal);
        Assert.Contains("8 of 12 addresses differ.", text, StringComparison.Ordinal);
        Assert.Contains("map 16 KiB #4 -> 0xffff0000 (below 4 GiB)", text, StringComparison.Ordinal);
        Assert.Contains("map 16 KiB #5 -> 0xffffffffc000 (above 4 GiB): below 4 GiB is full, the workaround flag is now cleared for good", text, StringComparison.Ordinal);
        Assert.Contains("device 1 workaround: off; workaround flips in the domain: 1", text, StringComparison.Ordinal);
    }
}
