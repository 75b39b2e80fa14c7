using FastIova.Trace;

namespace FastIova.Cli.Inspection;

/// <summary>Replays a trace for an inspection command, turning unreadable or malformed files into one error line.</summary>
internal static class InspectedTrace
{
    /// <summary>Replays <paramref name="file"/> up to operation <paramref name="at"/>; false (with a message) if it cannot.</summary>
    public static bool TryReplay(string file, long? at, TextWriter error, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TraceInspector? inspector)
    {
        inspector = null;
        try
        {
            inspector = TraceInspector.Replay(file, at);
        }
        catch (TraceFormatException e)
        {
            // The message already names the file and the line.
            error.WriteLine($"malformed trace: {e.Message}");
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            error.WriteLine($"{file}: cannot read: {e.Message}");
            return false;
        }

        if (!inspector.HasDomain)
        {
            error.WriteLine(at is { } op
                ? $"{file}: no 'domain' line among the first {op} operations"
                : $"{file}: the trace has no 'domain' line");
            inspector.Dispose();
            inspector = null;
            return false;
        }

        return true;
    }
}
