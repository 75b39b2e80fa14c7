namespace FastIova.Cli;

/// <summary>The process exit codes of the <c>fastiova</c> tool (also listed in <c>--help</c>).</summary>
internal static class ExitCodes
{
    /// <summary>Everything ran and every replayed result matched.</summary>
    public const int Success = 0;

    /// <summary>A replayed result differed from the recorded one, or the command line was invalid.</summary>
    public const int Mismatch = 1;

    /// <summary>A trace file was malformed (the message names the line) or could not be read.</summary>
    public const int BadTrace = 2;

    /// <summary>The exit codes of the tool as a whole, shown in the root help.</summary>
    public const string Description =
        "Exit codes: 0 = success; 1 = replay mismatches, or an invalid command line; " +
        "2 = a trace file is malformed (the line is named) or unreadable.";

    /// <summary>The exit codes of <c>replay</c>.</summary>
    public const string ReplayDescription =
        "Exit codes: 0 = every result matches; 1 = mismatches (or an invalid command line); 2 = a malformed or unreadable trace.";

    /// <summary>The exit codes of <c>demo</c>.</summary>
    public const string DemoDescription = "Exit codes: 0 = success; 1 = an invalid command line.";
}
