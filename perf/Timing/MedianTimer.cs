using System.Diagnostics;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Timing;

/// <summary>
/// Times one step by itself: a timestamp on each side of <see cref="IRestorableStep.Run"/>, the restore outside the
/// timed window, the cost of a bare timestamp pair subtracted, the median kept. A restore cannot be left out of a loop
/// (the steps move the cached nodes), hence one timed call per sample.
/// </summary>
internal static class MedianTimer
{
    private const int MinSamples = 15;
    private const int MaxSamples = 200_000;

    private static readonly Lazy<double> s_timestampOverheadTicks = new(MeasureTimestampOverhead);

    private static readonly TimeSpan s_warmUpRound = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Runs every step through the timer, untimed, round after round, until the JIT has finished with their code
    /// (<see cref="JitSettling"/>), so that the first measured case runs on final-tier code.
    /// </summary>
    public static void WarmUp(IReadOnlyList<IRestorableStep> steps) =>
        JitSettling.Exercise(() =>
        {
            foreach (IRestorableStep step in steps)
                MedianNanoseconds(step, s_warmUpRound);
        });

    /// <summary>Median nanoseconds per <see cref="IRestorableStep.Run"/>, after a warm-up, within about <paramref name="budget"/>.</summary>
    public static double MedianNanoseconds(IRestorableStep step, TimeSpan budget)
    {
        double overhead = s_timestampOverheadTicks.Value;

        // Warm-up: enough calls for the JIT to reach its final tier (a few hundred) or a fifth of the budget.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 500 && warm.Elapsed < budget / 5; i++)
        {
            step.Run();
            step.Restore();
        }

        var samples = new List<double>();
        var clock = Stopwatch.StartNew();
        while (samples.Count < MinSamples || (clock.Elapsed < budget && samples.Count < MaxSamples))
        {
            long start = Stopwatch.GetTimestamp();
            step.Run();
            long end = Stopwatch.GetTimestamp();
            step.Restore();
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
