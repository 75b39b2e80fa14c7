using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>The domain's modes under concurrency: checked mode and recording.</summary>
public sealed class ModeConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void CheckedSharedCpuRacingFrees_RefusesNoLegalFree(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(CheckedModeScenarios.SharedCpuRacingFrees, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void RecordingConcurrentOps_ReplaysWithNoMismatch(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(RecordingScenarios.ConcurrentOpsReplay, strategy, ExplorationBudget.Short);
}
