using System.Globalization;
using System.Text;
using FastIova.Perf.CommandLine;
using FastIova.Perf.Gate;
using Xunit;

namespace FastIova.Tests.Correctness.Perf;

/// <summary>
/// The perf suite's regression gate (perf/README.md, "Regression gate") on BenchmarkDotNet exports written here:
/// it must fail a clear slowdown beyond the threshold and pass noise, a small slowdown and a speed-up.
/// </summary>
public sealed class RegressionGateTests : IDisposable
{
    private const string Benchmark = "FastIova.Perf.Benchmarks.FastPathBenchmarks.FastPath(Pages: 1)";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fastiova-gate-" + Guid.NewGuid().ToString("N"));

    public RegressionGateTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(1.30, 1)] // 30% slower: a regression
    [InlineData(1.15, 1)] // 15% slower: beyond the default 10%
    [InlineData(1.03, 0)] // 3% slower: inside the threshold
    [InlineData(1.00, 0)] // the same, up to noise
    [InlineData(0.70, 0)] // faster
    public void Gate_ExitsNonZero_OnlyOnASlowdownBeyondTheThreshold(double factor, int expectedExit)
    {
        string baseline = WriteExport("baseline.json", Samples(seed: 1, count: 15, mean: 10.0));
        string current = WriteExport("current.json", Samples(seed: 2, count: 15, mean: 10.0 * factor));

        Assert.Equal(expectedExit, PerfCommandLine.Run(["gate", "--baseline", baseline, "--current", current]));
    }

    [Fact]
    public void Gate_HonoursAnAbsoluteThreshold()
    {
        string baseline = WriteExport("baseline.json", Samples(seed: 1, count: 15, mean: 10.0));
        string current = WriteExport("current.json", Samples(seed: 2, count: 15, mean: 13.0));

        Assert.Equal(1, PerfCommandLine.Run(["gate", "--baseline", baseline, "--current", current, "--threshold", "1ns"]));
        Assert.Equal(0, PerfCommandLine.Run(["gate", "--baseline", baseline, "--current", current, "--threshold", "5ns"]));
    }

    [Fact]
    public void Compare_CannotJudgeAShortJob()
    {
        // Three iterations a side (BenchmarkDotNet's short job): no Mann-Whitney p-value can reach alpha 0.01.
        var baseline = new Dictionary<string, double[]> { [Benchmark] = Samples(seed: 1, count: 3, mean: 10.0) };
        var current = new Dictionary<string, double[]> { [Benchmark] = Samples(seed: 2, count: 3, mean: 20.0) };

        Assert.Equal(0, RegressionGate.Compare(baseline, current, Perfolizer.Metrology.Threshold.Parse("10%"), 0.01));
    }

    [Fact]
    public void Gate_ReadsFolders_AndIgnoresOtherJson()
    {
        string baselineFolder = Path.Combine(_folder, "baseline");
        Directory.CreateDirectory(baselineFolder);
        WriteExport(Path.Combine("baseline", "a-report-full.json"), Samples(seed: 1, count: 15, mean: 10.0));
        File.WriteAllText(Path.Combine(baselineFolder, "other.json"), "{\"Title\": \"not a report\"}");
        string current = WriteExport("current.json", Samples(seed: 2, count: 15, mean: 20.0));

        Assert.Equal(1, PerfCommandLine.Run(["gate", "--baseline", baselineFolder, "--current", current]));
    }

    [Fact]
    public void Load_FallsBackToWorkloadResultMeasurements()
    {
        // Without Statistics, the per-operation times are the workload's result iterations: ns / operations.
        string path = Path.Combine(_folder, "measurements.json");
        File.WriteAllText(path, $$"""
            {"Benchmarks": [{"FullName": "{{Benchmark}}", "Measurements": [
              {"IterationMode": "Overhead", "IterationStage": "Actual", "Operations": 1000, "Nanoseconds": 500},
              {"IterationMode": "Workload", "IterationStage": "Warmup", "Operations": 1000, "Nanoseconds": 99000},
              {"IterationMode": "Workload", "IterationStage": "Result", "Operations": 1000, "Nanoseconds": 10000},
              {"IterationMode": "Workload", "IterationStage": "Result", "Operations": 2000, "Nanoseconds": 22000}
            ]}]}
            """);

        Assert.Equal([10.0, 11.0], BenchmarkSamples.Load(path)[Benchmark]);
    }

    [Fact]
    public void Gate_RefusesABadThreshold_AndAnEmptyComparison()
    {
        string export = WriteExport("run.json", Samples(seed: 1, count: 15, mean: 10.0));
        string empty = Path.Combine(_folder, "empty");
        Directory.CreateDirectory(empty);

        Assert.Equal(2, PerfCommandLine.Run(["gate", "--baseline", export, "--current", export, "--threshold", "ten"]));
        Assert.Equal(1, PerfCommandLine.Run(["gate", "--baseline", empty, "--current", export]));
    }

    // Times with about 2% noise around the mean, from a fixed seed.
    private static double[] Samples(int seed, int count, double mean)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => mean * (1 + ((random.NextDouble() - 0.5) * 0.04)))];
    }

    // The parts of BenchmarkDotNet's full JSON export that the gate reads.
    private string WriteExport(string name, double[] times)
    {
        var json = new StringBuilder();
        json.Append("{\"Title\": \"test\", \"Benchmarks\": [{\"FullName\": \"").Append(Benchmark).Append("\", \"Statistics\": {\"OriginalValues\": [");
        json.AppendJoin(", ", times.Select(t => t.ToString("R", CultureInfo.InvariantCulture)));
        json.Append("]}}]}");
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, json.ToString());
        return path;
    }
}
