using System.Runtime.InteropServices;

namespace FastIova.Perf.Reporting;

/// <summary>A one-line description of where the figures come from, printed above every table.</summary>
internal static class MachineDescription
{
    /// <summary>Cores, OS, architecture, runtime version and GC mode.</summary>
    public static string Describe() =>
        $"{Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.ProcessArchitecture}, " +
        $".NET {Environment.Version}, " +
        $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC";
}
