using System.CommandLine;
using FastIova.Trace;

namespace FastIova.Cli;

/// <summary><c>fastiova replay FILE...</c>: replays recorded kernel traces and reports every result that differs.</summary>
internal sealed class ReplayCommand : Command
{
    private readonly Argument<string[]> _files = new("files")
    {
        Description = "Trace files (.trace or .trace.gz) in the format of TRACE-FORMAT.md.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<int> _shown = new("--show")
    {
        Description = "How many mismatches to print per file.",
        DefaultValueFactory = _ => 5,
    };

    /// <summary>Builds the command.</summary>
    public ReplayCommand()
        : base("replay", "Replay kernel-recorded IOVA traces and compare every result. " + ExitCodes.ReplayDescription)
    {
        Add(_files);
        Add(_shown);
        _shown.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--show must not be negative.");
            }
        });
        SetAction(parse => Run(
            parse.GetRequiredValue(_files),
            parse.GetValue(_shown),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
    }

    /// <summary>Replays each file and prints one summary line per file and a total.</summary>
    /// <returns>An <see cref="ExitCodes"/> value.</returns>
    internal static int Run(IReadOnlyList<string> files, int shown, TextWriter output, TextWriter error)
    {
        long operations = 0;
        long mismatches = 0;
        int badFiles = 0;
        foreach (string file in files)
        {
            TraceReplayResult result;
            try
            {
                result = TraceReplayer.ReplayFile(file, shown);
            }
            catch (TraceFormatException e)
            {
                // The message already names the file and the line.
                error.WriteLine($"malformed trace: {e.Message}");
                badFiles++;
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                error.WriteLine($"{file}: cannot read: {e.Message}");
                badFiles++;
                continue;
            }

            operations += result.Operations;
            mismatches += result.MismatchCount;
            output.WriteLine($"{file}: {result.Operations} ops, {result.MismatchCount} mismatches");
            foreach (var mismatch in result.Mismatches.Take(shown))
            {
                output.WriteLine($"  {mismatch}");
            }
        }

        output.WriteLine($"replay: {operations} ops, {mismatches} mismatches");
        if (badFiles > 0)
        {
            return ExitCodes.BadTrace;
        }

        return mismatches == 0 ? ExitCodes.Success : ExitCodes.Mismatch;
    }
}
