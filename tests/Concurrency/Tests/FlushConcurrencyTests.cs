using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>Flushes racing the owners of the caches, explicit and failure-driven, and owned caches' Dispose.</summary>
public sealed class FlushConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void ExplicitFlushRacingOwners_LosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(FlushScenarios.ExplicitRacingOwners, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void ExplicitFlushRacingOwnersWithSpares_LosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(FlushScenarios.SparesRacingOwners, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void FailureDrivenFlush_ReturnsEveryCachedRange_SoTheRetrySucceeds(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(FlushScenarios.FailureDrivenRacingOwner, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void OwnedCacheDisposeRacingFlush_LosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(OwnedCacheScenarios.DisposeRacingFlush, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void OwnedCacheHandOverRacingFlush_LosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(OwnedCacheScenarios.HandOverRacingFlush, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void OwnedCacheFlushRacingFlush_FreesEachRangeOnce(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(OwnedCacheScenarios.FlushRacingFlushRaceChecked, strategy, ExplorationBudget.Short);
}
