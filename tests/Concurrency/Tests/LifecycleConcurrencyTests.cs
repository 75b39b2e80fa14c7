using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>Depot trimming, exiting threads, simulated CPUs shared by threads, and Dispose, each racing traffic.</summary>
public sealed class LifecycleConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void TrimDepotRacingFastPath_LosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(TrimScenarios.TrimRacingFastPath, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void ThreadExitRacingFlush_LosesNoCachedRange(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(ThreadExitScenarios.ExitRacingFlush, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void ReclaimDeadThreadCachesRacingFlush_ReturnsEveryRangeOnce(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(ReclamationScenarios.ReclaimRacingFlush, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void SimulatedCpuSharedByThreads_LosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(SimulatedCpuScenarios.SharedByThreads, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void DisposeRacingUse_EndsInCompletionOrObjectDisposed(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DisposeScenarios.DisposeRacingUse, strategy, ExplorationBudget.Short);
}
