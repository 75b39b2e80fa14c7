using FastIova.Perf.CommandLine;

namespace FastIova.Perf;

/// <summary>Entry point of the FastIova performance suite; see perf/README.md.</summary>
internal static class Program
{
    private static int Main(string[] args) => PerfCommandLine.Run(args);
}
