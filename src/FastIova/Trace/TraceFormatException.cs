namespace FastIova.Trace;

/// <summary>A trace line that breaks the trace format: unknown op, wrong argument count, bad number, out-of-range argument, or an op before the first <c>domain</c>.</summary>
public sealed class TraceFormatException : FormatException
{
    /// <summary>Creates the exception for one line.</summary>
    /// <param name="lineNumber">The 1-based number of the offending line.</param>
    /// <param name="reason">What is wrong with the line.</param>
    /// <param name="source">The file (or other source) the line came from, if known.</param>
    public TraceFormatException(int lineNumber, string reason, string? source = null)
        : base(source is null ? $"line {lineNumber}: {reason}" : $"{source}: line {lineNumber}: {reason}")
    {
        LineNumber = lineNumber;
        Reason = reason;
        SourceName = source;
    }

    /// <summary>The 1-based number of the offending line.</summary>
    public int LineNumber { get; }

    /// <summary>What is wrong with the line, without the line number.</summary>
    public string Reason { get; }

    /// <summary>The file (or other source) the line came from, if known.</summary>
    public string? SourceName { get; }
}
