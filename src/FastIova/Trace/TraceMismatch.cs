namespace FastIova.Trace;

/// <summary>A trace line whose replayed result differs from the recorded one.</summary>
/// <param name="LineNumber">The 1-based line number in the trace.</param>
/// <param name="Operation">The op text as written.</param>
/// <param name="Expected">The recorded result.</param>
/// <param name="Actual">The result of the replay (or <c>error: ...</c> when the domain threw).</param>
public sealed record TraceMismatch(int LineNumber, string Operation, string Expected, string Actual)
{
    /// <summary>For example <c>line 12: alloc 512 262143 0 => expected 133632, got fail</c>.</summary>
    public override string ToString() => $"line {LineNumber}: {Operation} => expected {Expected}, got {Actual}";
}
