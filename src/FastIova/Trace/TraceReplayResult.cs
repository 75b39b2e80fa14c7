namespace FastIova.Trace;

/// <summary>The outcome of replaying one trace.</summary>
/// <param name="SourceName">The trace's name (usually its path), or null.</param>
/// <param name="Operations">Operation lines executed (comments and blank lines excluded).</param>
/// <param name="MismatchCount">Lines whose result differed from the recorded one.</param>
/// <param name="Mismatches">The first mismatches, in line order (at most the replayer's limit; <see cref="MismatchCount"/> counts all).</param>
public sealed record TraceReplayResult(string? SourceName, long Operations, long MismatchCount, IReadOnlyList<TraceMismatch> Mismatches)
{
    /// <summary>Whether every recorded result was reproduced.</summary>
    public bool Conforms => MismatchCount == 0;
}
