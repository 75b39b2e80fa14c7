using Xunit;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// Tests that start many threads or measure timing run alone, after the parallel ones, so that they neither slow
/// the rest down nor are starved by it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCacheTests
{
    public const string Name = "Caches: serial (threads)";
}
