namespace FastIova.Perf.Scenarios;

/// <summary>The limit of the retry-pass scenario. Public because BenchmarkDotNet's generated code names it.</summary>
public enum RetryLimit
{
    /// <summary>A limit above the 32-bit boundary: the search starts from <c>cached_node</c>.</summary>
    Bits64,

    /// <summary><c>Dma32Pfn - 1</c> on a domain that also holds as many 64-bit ranges: the search starts from <c>cached32_node</c>.</summary>
    Bits32,
}
