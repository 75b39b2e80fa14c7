using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>Cache statistics taken while the fast path and reclamation move the counts they sum.</summary>
public sealed class StatisticsConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void SnapshotsRacingFastPath_NeverNegativeNorGoingBack(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(StatisticsScenarios.SnapshotsRacingFastPath, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void SnapshotsRacingReclaim_CountEachCacheOnce(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(StatisticsScenarios.SnapshotsRacingReclaim, strategy, ExplorationBudget.Short);
}
