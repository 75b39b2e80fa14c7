namespace FastIova.Perf.Benchmarks;

/// <summary>
/// Stands in for the BenchmarkDotNet launcher in the trimmed single-file build, which leaves BenchmarkDotNet out:
/// it builds child projects with the SDK, which a machine that runs the self-contained binary does not have.
/// </summary>
internal static class BenchmarkLauncher
{
    /// <summary>Whether this build can run BenchmarkDotNet.</summary>
    public const bool IsAvailable = false;

    /// <summary>Explains that BenchmarkDotNet is not part of this build.</summary>
    public static int Run(string[] args)
    {
        _ = args;
        Console.Error.WriteLine("BenchmarkDotNet is not part of the trimmed build; run it with `dotnet run -c Release --project perf -- ...`.");
        return 2;
    }

    /// <summary>Explains that BenchmarkDotNet is not part of this build.</summary>
    public static IReadOnlyList<string> RunWithFullJson(string[] args, string artifactsPath)
    {
        _ = artifactsPath;
        Run(args);
        return [];
    }
}
