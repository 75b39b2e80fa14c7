using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>The locked tree under concurrent Allocate, Free, Find and Reserve.</summary>
public sealed class TreeConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void AllocateFindFree_NeverHandsOutARangeTwice_AndLosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(TreeScenarios.AllocateFindFree, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void ReserveRacingAllocate_KeepsReservesAndAllocationsApart(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(TreeScenarios.ReserveRacingAllocate, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void AllocateFree_WithMemoryRaceChecking_KeepsTheTreeWhole(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(TreeScenarios.AllocateFreeRaceChecked, strategy, ExplorationBudget.Short);
}
