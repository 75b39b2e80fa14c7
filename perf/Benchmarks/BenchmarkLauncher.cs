using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastIova.Perf.Benchmarks;

/// <summary>Runs the BenchmarkDotNet suite (not part of the trimmed build: BenchmarkDotNet needs the SDK and reflection).</summary>
internal static class BenchmarkLauncher
{
    /// <summary>Whether this build can run BenchmarkDotNet.</summary>
    public const bool IsAvailable = true;

    /// <summary>Runs the benchmarks that <paramref name="args"/> select (BenchmarkDotNet's own command line).</summary>
    /// <returns>0 when every selected benchmark ran; 1 when none ran or one failed.</returns>
    public static int Run(string[] args) => Exit(Switcher().Run(args, DefaultConfig.Instance));

    /// <summary>
    /// Runs the benchmarks with the full JSON exporter into <paramref name="artifactsPath"/> and returns the
    /// written <c>*-report-full.json</c> files (one per benchmark class), or an empty list when the run failed.
    /// </summary>
    public static IReadOnlyList<string> RunWithFullJson(string[] args, string artifactsPath)
    {
        ManualConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddExporter(JsonExporter.Full)
            .WithArtifactsPath(artifactsPath);
        var summaries = Switcher().Run(args, config).ToList();
        if (Exit(summaries) != 0)
        {
            return [];
        }

        // The artifacts folder is fresh for this run: every full export in it belongs to it.
        return [.. summaries
            .Select(s => s.ResultsDirectoryPath)
            .Distinct(StringComparer.Ordinal)
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*-report-full.json"))
            .Order(StringComparer.Ordinal)];
    }

    private static BenchmarkSwitcher Switcher() => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkLauncher).Assembly);

    // BenchmarkDotNet exits 0 even when it refuses to run (a Debug build) or a benchmark throws: look at the summaries.
    private static int Exit(IEnumerable<Summary> summaries)
    {
        var list = summaries.ToList();
        bool failed = list.Count == 0
            || list.Any(s => s.HasCriticalValidationErrors || s.Reports.Length == 0 || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }
}
