using System.Diagnostics;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Retry;

/// <summary>
/// Times the retry-only allocation by itself: a timestamp on each side of <see cref="RetryOnlyScenario.AllocateInHole"/>,
/// the restore outside the timed window, the cost of a bare timestamp pair subtracted, the median kept.
/// The restore cannot be left out of a loop (the free moves the cached node), hence one timed call per sample.
/// </summary>
internal static class RetryTimer
{
    private const int MinSamples = 15;
    private const int MaxSamples = 200_000;

    private static readonly Lazy<double> s_timestampOverheadTicks = new(MeasureTimestampOverhead);

    /// <summary>Median nanoseconds per retry-only allocation, after a warm-up, within about <paramref name="budget"/>.</summary>
    public static double MedianNanoseconds(RetryOnlyScenario scenario, TimeSpan budget)
    {
        double overhead = s_timestampOverheadTicks.Value;

        // Warm-up: enough calls for the JIT to reach its final tier (a few hundred) or a fifth of the budget.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 500 && warm.Elapsed < budget / 5; i++)
        {
            scenario.AllocateInHole();
            scenario.Restore();
        }

        var samples = new List<double>();
        var clock = Stopwatch.StartNew();
        while (samples.Count < MinSamples || (clock.Elapsed < budget && samples.Count < MaxSamples))
        {
            long start = Stopwatch.GetTimestamp();
            scenario.AllocateInHole();
            long end = Stopwatch.GetTimestamp();
            scenario.Restore();
            samples.Add(Math.Max(0, end - start - overhead));
        }

        samples.Sort();
        double medianTicks = samples[samples.Count / 2];
        return medianTicks * 1e9 / Stopwatch.Frequency;
    }

    private static double MeasureTimestampOverhead()
    {
        var pairs = new long[20_000];
        for (int i = 0; i < pairs.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            long end = Stopwatch.GetTimestamp();
            pairs[i] = end - start;
        }

        Array.Sort(pairs);
        return pairs[pairs.Length / 2];
    }
}
