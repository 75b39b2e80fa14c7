using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>Find, Reserve, GetRanges, Count and GetStatistics racing the tree's writers, with memory race checking.</summary>
public sealed class LookupConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void FindRacingFree_SeesTheRangeOrNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(LookupScenarios.FindRacingFree, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void ReserveRacingAllocate_WithMemoryRaceChecking_KeepsBothExact(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(LookupScenarios.ReserveRacingAllocate, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void SnapshotsRacingTree_EachDescribeOneTree(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(LookupScenarios.SnapshotsRacingTree, strategy, ExplorationBudget.Short);
}
