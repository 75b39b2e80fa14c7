using FastIova.Tests.Concurrency.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Concurrency.SelfTests;

/// <summary>
/// Replays the trace named by <c>FASTIOVA_COYOTE_REPLAY</c> (a file under <c>coyote-traces/</c>) in one iteration and
/// fails with its bug report when the bug reproduces. Without the variable there is nothing to replay and it passes.
/// </summary>
public sealed class TraceReplayTests(ITestOutputHelper output)
{
    [Fact]
    public void ReplaySavedTrace_NamedByEnvironment()
    {
        string? path = Environment.GetEnvironmentVariable(SystematicExplorer.ReplayVariable);
        if (string.IsNullOrEmpty(path))
        {
            output.WriteLine($"{SystematicExplorer.ReplayVariable} is not set: nothing to replay.");
            return;
        }

        SavedTrace saved = SavedTrace.Load(path);
        ExplorationResult replayed = SystematicExplorer.Replay(saved);

        output.WriteLine($"Replayed {saved.Scenario} ({saved.Strategy}, seed {saved.Seed}, iteration {saved.Iteration}).");
        Assert.False(replayed.BugFound, $"Reproduced:{Environment.NewLine}{replayed.BugReport}");
        Assert.Fail($"The trace did not reproduce the bug; the code has changed since. It was:{Environment.NewLine}{saved.Bug}");
    }
}
