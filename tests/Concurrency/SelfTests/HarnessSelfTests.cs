using FastIova.Tests.Concurrency.Infrastructure;
using Xunit;

namespace FastIova.Tests.Concurrency.SelfTests;

/// <summary>Proves that the harness finds a known bug for the right reason, finds none where there is none, and replays.</summary>
public sealed class HarnessSelfTests
{
    [Theory]
    [InlineData(ExplorationStrategy.Random)]
    [InlineData(ExplorationStrategy.Prioritization)]
    [InlineData(ExplorationStrategy.Probabilistic)]
    public void Explorer_FindsPlantedLostUpdate_WithItsOwnMessage(ExplorationStrategy strategy)
    {
        ExplorationResult result = SystematicExplorer.Run(
            PlantedScenarios.LostUpdate, strategy, ExplorationBudget.SelfTest, ExplorationBudget.SeedFor(PlantedScenarios.LostUpdate.Name, strategy));

        Assert.True(result.BugFound, $"No bug found in {result.Iterations} iterations.");
        Assert.Contains(PlantedScenarios.LostUpdateMessage, result.BugReport, StringComparison.Ordinal);
        Assert.DoesNotContain("Deadlock", result.BugReport, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(result.ReproducibleTrace));
    }

    [Theory]
    [InlineData(ExplorationStrategy.Random)]
    [InlineData(ExplorationStrategy.Prioritization)]
    [InlineData(ExplorationStrategy.Probabilistic)]
    public void Explorer_FindsNoBug_WhenTheUpdateIsAtomic(ExplorationStrategy strategy)
    {
        ExplorationResult result = SystematicExplorer.Run(
            PlantedScenarios.AtomicUpdate, strategy, ExplorationBudget.SelfTest, ExplorationBudget.SeedFor(PlantedScenarios.AtomicUpdate.Name, strategy));

        Assert.False(result.BugFound, result.BugReport);
        Assert.Equal(ExplorationBudget.SelfTest, result.Iterations);
        Assert.Empty(result.UncontrolledInvocations);
    }

    [Fact]
    public void SavedTrace_ReplaysTheSameBug_InOneIteration()
    {
        ExplorationResult found = SystematicExplorer.Run(
            PlantedScenarios.LostUpdate, ExplorationStrategy.Random, ExplorationBudget.SelfTest, ExplorationBudget.SeedFor("SelfTest.Replay", ExplorationStrategy.Random));
        Assert.True(found.BugFound);
        string path = new SavedTrace(found.Scenario, "Random", found.Seed, found.Iterations, false, found.BugReport, found.ReproducibleTrace!).Save();

        ExplorationResult replayed = SystematicExplorer.Replay(SavedTrace.Load(path));

        Assert.Equal(1u, replayed.Iterations);
        Assert.True(replayed.BugFound, "The saved trace did not reproduce the bug.");
        Assert.Equal(found.BugReport, replayed.BugReport);
    }

    [Fact]
    public void Explore_FailsTheTest_WithReportTracePathAndReplayCommand()
    {
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(
            () => SystematicExplorer.Explore(PlantedScenarios.LostUpdate, ExplorationStrategy.Probabilistic, ExplorationBudget.SelfTest));

        Assert.Contains(PlantedScenarios.LostUpdateMessage, failure.Message, StringComparison.Ordinal);
        string tracePath = Path.Combine(SavedTrace.Directory, "SelfTest.LostUpdate.Probabilistic.json");
        Assert.Contains(tracePath, failure.Message, StringComparison.Ordinal);
        Assert.Contains(SystematicExplorer.ReplayVariable, failure.Message, StringComparison.Ordinal);
        Assert.Equal("SelfTest.LostUpdate", SavedTrace.Load(tracePath).Scenario);
    }
}
