using FastIova.Perf.Benchmarks;
using FastIova.Perf.Reporting;
using Perfolizer.Metrology;

namespace FastIova.Perf.Gate;

/// <summary>
/// <c>perf save-baseline</c> and <c>perf gate</c>: run BenchmarkDotNet with its full JSON export, keep the export as a
/// baseline, and later compare a run (or a saved export) with it through <see cref="RegressionGate"/>.
/// </summary>
internal static class GateMode
{
    /// <summary>Runs the benchmarks and copies their full JSON exports into <paramref name="outDirectory"/>.</summary>
    public static int SaveBaseline(string outDirectory, string[] benchmarkArgs)
    {
        IReadOnlyList<string> reports = RunBenchmarks(benchmarkArgs);
        if (reports.Count == 0)
        {
            return 1;
        }

        Directory.CreateDirectory(outDirectory);
        foreach (string report in reports)
        {
            string target = Path.Combine(outDirectory, Path.GetFileName(report));
            File.Copy(report, target, overwrite: true);
            ResultTable.Line($"baseline: {target}");
        }

        return 0;
    }

    /// <summary>
    /// Compares <paramref name="currentPath"/> (a saved export or folder), or a fresh run with
    /// <paramref name="benchmarkArgs"/> when it is null, with <paramref name="baselinePath"/>.
    /// </summary>
    /// <returns>0 when nothing regressed; 1 on a regression or when nothing could be compared.</returns>
    public static int Gate(string baselinePath, string? currentPath, string threshold, double alpha, string[] benchmarkArgs)
    {
        if (!Threshold.TryParse(threshold, out Threshold parsed))
        {
            Console.Error.WriteLine($"gate: cannot read the threshold '{threshold}' (write e.g. 10% or 5ns).");
            return 2;
        }

        IReadOnlyDictionary<string, double[]> baseline = BenchmarkSamples.Load(baselinePath);
        IReadOnlyDictionary<string, double[]> current;
        if (currentPath is not null)
        {
            current = BenchmarkSamples.Load(currentPath);
        }
        else
        {
            IReadOnlyList<string> reports = RunBenchmarks(benchmarkArgs);
            if (reports.Count == 0)
            {
                return 1;
            }

            current = reports.SelectMany(r => BenchmarkSamples.Load(r)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        }

        if (baseline.Count == 0 || current.Count == 0)
        {
            Console.Error.WriteLine("gate: nothing to compare (no benchmark results in the baseline or in the current run).");
            return 1;
        }

        return RegressionGate.Compare(baseline, current, parsed, alpha) == 0 ? 0 : 1;
    }

    private static IReadOnlyList<string> RunBenchmarks(string[] benchmarkArgs)
    {
        string artifacts = Path.Combine("BenchmarkDotNet.Artifacts", "gate-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));
        IReadOnlyList<string> reports = BenchmarkLauncher.RunWithFullJson(benchmarkArgs, artifacts);
        if (reports.Count == 0)
        {
            Console.Error.WriteLine("gate: the benchmark run produced no full JSON report (no benchmark selected, a failure, or a Debug build).");
        }

        return reports;
    }
}
