namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>What one Coyote run of a scenario found.</summary>
/// <param name="Scenario">The scenario name.</param>
/// <param name="Strategy">The strategy (null for a replay).</param>
/// <param name="Seed">The seed (0 for a replay).</param>
/// <param name="Iterations">Iterations run: the iteration that found the bug, or all of them.</param>
/// <param name="BugReports">Coyote's bug reports; empty when none was found.</param>
/// <param name="ReproducibleTrace">The trace that replays the bug, when one was found.</param>
/// <param name="UncontrolledInvocations">Calls Coyote saw but did not control: each is a hole in the exploration.</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="MaxSteps">The most scheduling steps any iteration took (fair and unfair strategies count apart).</param>
/// <param name="AverageSteps">Scheduling steps per iteration, on average.</param>
public sealed record ExplorationResult(
    string Scenario,
    ExplorationStrategy? Strategy,
    uint Seed,
    uint Iterations,
    IReadOnlyList<string> BugReports,
    string? ReproducibleTrace,
    IReadOnlyList<string> UncontrolledInvocations,
    TimeSpan Elapsed,
    int MaxSteps,
    double AverageSteps)
{
    /// <summary>Whether Coyote reported a bug.</summary>
    public bool BugFound => BugReports.Count > 0;

    /// <summary>All bug reports on one string (empty when none).</summary>
    public string BugReport => string.Join(Environment.NewLine, BugReports);
}
