using System.Globalization;
using FastIova.Perf.Reporting;
using Perfolizer.Horology;
using Perfolizer.Mathematics.Common;
using Perfolizer.Mathematics.SignificanceTesting;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;

namespace FastIova.Perf.Gate;

/// <summary>
/// Compares a run with a saved baseline, benchmark by benchmark: Perfolizer's equivalence test with the
/// Mann-Whitney U test decides whether the current times are greater than the baseline's by more than the
/// threshold (e.g. 10%) at significance level alpha. One such benchmark makes the gate fail.
/// </summary>
internal static class RegressionGate
{
    /// <summary>
    /// Fewest iterations per side the test may judge: with 4 against 4 the smallest one-sided Mann-Whitney p-value is
    /// 1/70, above the default alpha of 0.01, so a short job (3 iterations) can never show a regression.
    /// </summary>
    public const int MinSamples = 5;

    /// <summary>The verdict for one benchmark.</summary>
    public enum Verdict
    {
        /// <summary>Slower than the baseline beyond the threshold, with confidence: a regression.</summary>
        Slower,

        /// <summary>Faster than the baseline beyond the threshold, with confidence.</summary>
        Faster,

        /// <summary>No difference beyond the threshold that the test can show.</summary>
        Same,

        /// <summary>Too few samples for the test (fewer than <see cref="MinSamples"/>; BenchmarkDotNet's short job gives 3).</summary>
        Unknown,

        /// <summary>Not in the baseline.</summary>
        New,
    }

    /// <summary>Compares and prints; returns the number of regressions.</summary>
    public static int Compare(
        IReadOnlyDictionary<string, double[]> baseline,
        IReadOnlyDictionary<string, double[]> current,
        Threshold threshold,
        double alpha)
    {
        var test = new SimpleEquivalenceTest(MannWhitneyTest.Instance);
        var rows = new List<IReadOnlyList<string>>();
        int regressions = 0;
        foreach ((string name, double[] times) in current.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Verdict verdict;
            string baseMean = "-";
            string ratio = "-";
            if (!baseline.TryGetValue(name, out double[]? baseTimes))
            {
                verdict = Verdict.New;
            }
            else if (times.Length < MinSamples || baseTimes.Length < MinSamples)
            {
                verdict = Verdict.Unknown;
                baseMean = Format(baseTimes.Average());
                ratio = (times.Average() / baseTimes.Average()).ToString("F3", CultureInfo.InvariantCulture);
            }
            else
            {
                // The samples carry their unit: Perfolizer refuses to apply an absolute threshold (5ns) to unitless values.
                ComparisonResult result = test.Perform(
                    new Sample(times, TimeUnit.Nanosecond), new Sample(baseTimes, TimeUnit.Nanosecond), threshold, new SignificanceLevel(alpha));
                verdict = result switch
                {
                    ComparisonResult.Greater => Verdict.Slower,
                    ComparisonResult.Lesser => Verdict.Faster,
                    ComparisonResult.Indistinguishable => Verdict.Same,
                    _ => Verdict.Unknown,
                };
                baseMean = Format(baseTimes.Average());
                ratio = (times.Average() / baseTimes.Average()).ToString("F3", CultureInfo.InvariantCulture);
            }

            if (verdict == Verdict.Slower)
            {
                regressions++;
            }

            rows.Add([Shorten(name), baseMean, Format(times.Average()), ratio, verdict.ToString().ToLowerInvariant()]);
        }

        foreach (string missing in baseline.Keys.Where(k => !current.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            rows.Add([Shorten(missing), Format(baseline[missing].Average()), "-", "-", "not run"]);
        }

        ResultTable.Print(
            $"Regression gate: threshold {threshold}, Mann-Whitney at alpha {alpha.ToString(CultureInfo.InvariantCulture)}",
            ["benchmark", "baseline ns/op", "current ns/op", "current/baseline", "verdict"],
            rows,
            firstNumericColumn: 1);
        ResultTable.Line(regressions == 0
            ? "gate: passed (no benchmark slower than the baseline beyond the threshold)"
            : $"gate: FAILED ({regressions} benchmark(s) slower than the baseline beyond the threshold)");
        return regressions;
    }

    private static string Format(double nanoseconds) => ResultTable.Number(nanoseconds);

    // Every benchmark of this suite lives in one namespace: leave it out of the table.
    private static string Shorten(string fullName) => fullName.Replace("FastIova.Perf.Benchmarks.", string.Empty, StringComparison.Ordinal);
}
