using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>Dispose racing Dispose and every other public operation.</summary>
public sealed class DisposeConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void DisposeRacingTreeOps_EndsInCompletionOrObjectDisposed(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DisposeScenarios.DisposeRacingTreeOps, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void DisposeRacingCaches_LeavesEveryCacheClosed(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DisposeScenarios.DisposeRacingCaches, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void DisposeRacingDispose_SealsOnce(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DisposeScenarios.DisposeRacingDispose, strategy, ExplorationBudget.Short);
}
