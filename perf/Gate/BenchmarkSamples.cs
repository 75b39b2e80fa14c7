using System.Text.Json;

namespace FastIova.Perf.Gate;

/// <summary>
/// The per-operation times of each benchmark in BenchmarkDotNet's full JSON export (<c>*-report-full.json</c>),
/// read with <see cref="JsonDocument"/> (no reflection). A path may name one export or a folder of them.
/// </summary>
internal static class BenchmarkSamples
{
    /// <summary>Benchmark full name (method and parameters) to nanoseconds per operation, one value per iteration.</summary>
    public static IReadOnlyDictionary<string, double[]> Load(string path)
    {
        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : File.Exists(path) ? [path] : throw new FileNotFoundException($"No benchmark report at '{path}'.", path);

        var samples = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!document.RootElement.TryGetProperty("Benchmarks", out JsonElement benchmarks))
            {
                continue; // not a BenchmarkDotNet export
            }

            foreach (JsonElement benchmark in benchmarks.EnumerateArray())
            {
                string name = benchmark.GetProperty("FullName").GetString() ?? "?";
                double[] values = ReadValues(benchmark);
                if (values.Length > 0)
                {
                    samples[name] = values;
                }
            }
        }

        return samples;
    }

    // The figures BenchmarkDotNet itself reports (overhead subtracted); the raw workload results if those are absent.
    private static double[] ReadValues(JsonElement benchmark)
    {
        if (benchmark.TryGetProperty("Statistics", out JsonElement statistics)
            && statistics.ValueKind == JsonValueKind.Object
            && statistics.TryGetProperty("OriginalValues", out JsonElement original))
        {
            return [.. original.EnumerateArray().Select(v => v.GetDouble())];
        }

        if (!benchmark.TryGetProperty("Measurements", out JsonElement measurements))
        {
            return [];
        }

        return [.. measurements.EnumerateArray()
            .Where(m => m.GetProperty("IterationMode").GetString() == "Workload" && m.GetProperty("IterationStage").GetString() == "Result")
            .Select(m => m.GetProperty("Nanoseconds").GetDouble() / m.GetProperty("Operations").GetInt64())];
    }
}
