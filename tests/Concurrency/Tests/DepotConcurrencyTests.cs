using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>The lock-free magazine stack (depot) under concurrent push and pop.</summary>
public sealed class DepotConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void PopPopPushBack_NeverInstallsAStaleLink(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DepotScenarios.PopPopPushBack, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void PushPop_WithMemoryRaceChecking_KeepsTheCountExact(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DepotScenarios.PushPopRaceChecked, strategy, ExplorationBudget.Short);
}
