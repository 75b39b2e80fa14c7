using System.Text.Json;

namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>
/// A bug's reproducible trace with what is needed to replay it: the scenario it came from and the settings that shape
/// its scheduling points. Stored as JSON under <c>coyote-traces/</c> in the test output folder.
/// </summary>
/// <param name="Scenario">The scenario name (see <see cref="ScenarioCatalog"/>).</param>
/// <param name="Strategy">The strategy that found it.</param>
/// <param name="Seed">The seed of the run that found it.</param>
/// <param name="Iteration">The iteration that found it.</param>
/// <param name="MemoryRaceChecking">Whether plain memory accesses were scheduling points (must match to replay).</param>
/// <param name="Bug">The bug report.</param>
/// <param name="Trace">Coyote's <c>ReproducibleTrace</c>.</param>
public sealed record SavedTrace(
    string Scenario,
    string Strategy,
    uint Seed,
    uint Iteration,
    bool MemoryRaceChecking,
    string Bug,
    string Trace)
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>The folder that holds saved traces: <c>coyote-traces</c> next to the test assembly.</summary>
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "coyote-traces");

    /// <summary>Writes the trace to <c>coyote-traces/&lt;scenario&gt;.&lt;strategy&gt;.json</c> and returns the path.</summary>
    public string Save()
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = Path.Combine(Directory, $"{Scenario}.{Strategy}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(this, s_json));
        return path;
    }

    /// <summary>Reads a trace written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    public static SavedTrace Load(string path) =>
        JsonSerializer.Deserialize<SavedTrace>(File.ReadAllText(path), s_json)
        ?? throw new InvalidDataException($"{path} holds no trace.");
}
