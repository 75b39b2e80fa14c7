using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>Per-thread caches, the depot behind them, and ranges freed on other threads.</summary>
public sealed class FastPathConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void CrossThreadFree_NeverHandsOutARangeTwice_AndLosesNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(FastPathScenarios.CrossThreadFree, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void DepotExchange_MagazinesMovedByManyThreads_LoseNothing(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(FastPathScenarios.DepotExchange, strategy, ExplorationBudget.Deep);
}
