using System.IO.Compression;

namespace FastIova.Tests.Correctness.Reference;

/// <summary>
/// The recorded kernel traces that use tree operations only, read from the gzip copies that the test project places
/// in its output folder (<c>Traces/*.trace.gz</c>).
/// </summary>
internal static class TreeTraceFiles
{
    private static readonly string[] s_fastOps = ["cpu", "alloc_fast", "free_fast", "flush_cpu", "flush_global", "depot_trim"];

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Traces");

    /// <summary>Names (without <c>.trace.gz</c>) of the traces with tree operations only, in name order.</summary>
    public static IEnumerable<string> Names()
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(Folder, "*.trace.gz")
            .Select(path => Path.GetFileName(path)[..^".trace.gz".Length])
            .Where(name => !ReadLines(name).Any(UsesFastOp))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    public static IEnumerable<string> ReadLines(string name)
    {
        using var file = File.OpenRead(Path.Combine(Folder, name + ".trace.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    private static bool UsesFastOp(string line)
    {
        string trimmed = line.TrimStart();
        return !trimmed.StartsWith('#') && s_fastOps.Any(op => trimmed.StartsWith(op + " ", StringComparison.Ordinal)
            || trimmed.StartsWith(op + "\t", StringComparison.Ordinal) || trimmed == op || trimmed.StartsWith(op + " =>", StringComparison.Ordinal));
    }
}
