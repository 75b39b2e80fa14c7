using System.Globalization;
using FastIova.Perf.Reporting;
using FastIova.Perf.Scenarios;
using FastIova.Perf.Timing;

namespace FastIova.Perf.Retry;

/// <summary>
/// <c>perf retry</c>: the allocation only the retry pass can satisfy (<see cref="RetryOnlyScenario"/>) with N live
/// ranges above the hole, timed with FastIova's search and with the kernel's walk in the same run, under a 64-bit
/// limit and a 32-bit one. Prints the times and the ratios; JSON rows <c>{workload, impl, live, limit, ns}</c>.
/// </summary>
internal static class RetryMode
{
    private static readonly Implementation[] s_implementations = [Implementation.Augmented, Implementation.LinearWalk];
    private static readonly RetryLimit[] s_limits = [RetryLimit.Bits64, RetryLimit.Bits32];

    /// <summary>Runs every (live, limit, implementation) case for about <paramref name="secondsPerCase"/> seconds.</summary>
    public static int Run(IReadOnlyList<int> liveCounts, double secondsPerCase, string? jsonPath)
    {
        ResultTable.Line($"retry: {MachineDescription.Describe()}");
        ResultTable.Line("ns = median time of the one allocation that only the retry pass can place; N = live ranges above the only hole");
        ResultTable.Line("depth of new range = tree levels that the search and the insert's upward walks pass");
        var budget = TimeSpan.FromSeconds(secondsPerCase);
        WarmUp();
        var results = new List<RetryResult>();
        foreach (int live in liveCounts)
        {
            foreach (RetryLimit limit in s_limits)
            {
                foreach (Implementation impl in s_implementations)
                {
                    double ns;
                    (int height, int depth) shape;
                    using (RetryOnlyScenario scenario = RetryOnlyScenario.Build(live, limit, impl.ToDomainOptions()))
                    {
                        ns = MedianTimer.MedianNanoseconds(scenario, budget);
                        shape = scenario.ShapeOfAllocation();
                    }

                    var result = new RetryResult(impl.Label(), live, LimitLabel(limit), ns, shape.height, shape.depth);
                    results.Add(result);
                    Console.Error.WriteLine($"  N={live,-9} {result.Limit} {result.Impl,-12} {ResultTable.Number(ns)} ns");

                    // The next case builds up to two million ranges: do not carry this one's garbage into its timing.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }
        }

        PrintTimes(results);
        PrintRatios(results, liveCounts);
        if (jsonPath is not null)
        {
            JsonRowsFile.Write(jsonPath, results, (writer, r) =>
            {
                writer.WriteString("workload", RetryResult.Workload);
                writer.WriteString("impl", r.Impl);
                writer.WriteNumber("live", r.Live);
                writer.WriteString("limit", r.Limit);
                writer.WriteNumber("ns", Math.Round(r.Nanoseconds, 1));
            });
            ResultTable.Line($"JSON: {jsonPath}");
        }

        return 0;
    }

    // Every measured case's code, at N = 1k, until the JIT has finished with it.
    private static void WarmUp()
    {
        var scenarios = new List<RetryOnlyScenario>();
        try
        {
            foreach (RetryLimit limit in s_limits)
            {
                foreach (Implementation impl in s_implementations)
                    scenarios.Add(RetryOnlyScenario.Build(1_000, limit, impl.ToDomainOptions()));
            }

            MedianTimer.WarmUp(scenarios);
        }
        finally
        {
            foreach (RetryOnlyScenario scenario in scenarios)
                scenario.Dispose();
        }
    }

    private static string LimitLabel(RetryLimit limit) => limit == RetryLimit.Bits64 ? "64-bit" : "32-bit";

    private static void PrintTimes(List<RetryResult> results) =>
        ResultTable.Print(
            "Retry-only allocation (ns per allocation)",
            ["limit", "impl", "live above hole", "ns", "tree height", "depth of new range"],
            results.Select(r => (IReadOnlyList<string>)
                [r.Limit, r.Impl, r.Live.ToString("N0", CultureInfo.InvariantCulture), ResultTable.Number(r.Nanoseconds),
                 r.TreeHeight.ToString(CultureInfo.InvariantCulture), r.RangeDepth.ToString(CultureInfo.InvariantCulture)]),
            firstNumericColumn: 2);

    private static void PrintRatios(List<RetryResult> results, IReadOnlyList<int> liveCounts)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (string limit in results.Select(r => r.Limit).Distinct())
        {
            foreach (int live in liveCounts)
            {
                double augmented = Find(results, "augmented", live, limit);
                double linear = Find(results, "linear-walk", live, limit);
                rows.Add([limit, $"linear-walk / augmented at N={live.ToString("N0", CultureInfo.InvariantCulture)}", Ratio(linear, augmented)]);
            }

            int smallest = liveCounts.Min();
            int largest = liveCounts.Max();
            if (largest != smallest)
            {
                double small = Find(results, "augmented", smallest, limit);
                double large = Find(results, "augmented", largest, limit);
                rows.Add([limit, $"augmented N={largest.ToString("N0", CultureInfo.InvariantCulture)} / N={smallest.ToString("N0", CultureInfo.InvariantCulture)}", Ratio(large, small)]);
            }
        }

        ResultTable.Print("Ratios", ["limit", "ratio", "value"], rows, firstNumericColumn: 2);
    }

    private static double Find(List<RetryResult> results, string impl, int live, string limit) =>
        results.First(r => r.Impl == impl && r.Live == live && r.Limit == limit).Nanoseconds;

    private static string Ratio(double numerator, double denominator) =>
        denominator <= 0 ? "-" : (numerator / denominator).ToString("F1", CultureInfo.InvariantCulture) + "x";
}
