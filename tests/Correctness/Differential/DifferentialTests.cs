using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Differential;

// The differential suite is split into several classes because xunit runs classes (collections) in parallel and the
// tests inside one class one after another. Together they run a little over 10^6 ops.

/// <summary>Seeds 0..104: every granule x start kind x window placement once, at 3,000 ops each.</summary>
public sealed class DifferentialFirstSweepTests(ITestOutputHelper output)
{
    [Fact]
    public void Domains_AgreeWithReference_OnEveryScenario() =>
        DifferentialSuite.Sweep(output, firstSeed: 0, seeds: 105, operations: 3_000);
}

/// <summary>Seeds 105..209: every combination again with other window sizes and start pfns.</summary>
public sealed class DifferentialSecondSweepTests(ITestOutputHelper output)
{
    [Fact]
    public void Domains_AgreeWithReference_OnEveryScenarioAgain() =>
        DifferentialSuite.Sweep(output, firstSeed: 105, seeds: 105, operations: 3_000);
}

/// <summary>Seeds 210..314 at 2,000 ops: a third draw of scenarios.</summary>
public sealed class DifferentialThirdSweepTests(ITestOutputHelper output)
{
    [Fact]
    public void Domains_AgreeWithReference_OnAThirdDraw() =>
        DifferentialSuite.Sweep(output, firstSeed: 210, seeds: 105, operations: 2_000);
}

/// <summary>Few seeds, long streams: histories deep enough for cached nodes and hints to drift far from fresh.</summary>
public sealed class DifferentialLongRunTests(ITestOutputHelper output)
{
    [Fact]
    public void Domains_AgreeWithReference_OverLongStreams() =>
        DifferentialSuite.Sweep(output, firstSeed: 10_000, seeds: 12, operations: 20_000);
}

/// <summary>Replays one seed given in the environment (see the failure report); skipped otherwise.</summary>
public sealed class DifferentialReplayTests(ITestOutputHelper output)
{
    [ReplaySeedFact]
    public void Domains_AgreeWithReference_OnTheSeedFromTheEnvironment()
    {
        int seed = int.Parse(Environment.GetEnvironmentVariable(DifferentialRunner.SeedVariable)!, CultureInfo.InvariantCulture);
        int operations = Environment.GetEnvironmentVariable(DifferentialRunner.OpsVariable) is { Length: > 0 } ops
            ? int.Parse(ops, CultureInfo.InvariantCulture)
            : 20_000;
        output.WriteLine($"seed {seed}: {DifferentialScenario.FromSeed(seed)}");
        DifferentialRunner.Run(seed, operations);
    }
}

/// <summary>A fact that runs only when a seed to replay is set in the environment.</summary>
internal sealed class ReplaySeedFactAttribute : FactAttribute
{
    public ReplaySeedFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DifferentialRunner.SeedVariable)))
        {
            Skip = $"set {DifferentialRunner.SeedVariable} (and optionally {DifferentialRunner.OpsVariable}) to replay a seed";
        }
    }
}

/// <summary>Shared driver of the sweep classes.</summary>
internal static class DifferentialSuite
{
    /// <summary>Added to every seed when set, for soak runs over fresh seeds; the report prints the seed actually used.</summary>
    public const string SeedOffsetVariable = "FASTIOVA_DIFF_SEED_OFFSET";

    public static void Sweep(ITestOutputHelper output, int firstSeed, int seeds, int operations)
    {
        int offset = Environment.GetEnvironmentVariable(SeedOffsetVariable) is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total = DifferentialRunner.RunSeeds(Enumerable.Range(firstSeed + offset, seeds), operations);
        output.WriteLine($"seeds {firstSeed + offset}..{firstSeed + offset + seeds - 1}: {total} ops in {clock.Elapsed.TotalSeconds:F1} s");
    }
}
