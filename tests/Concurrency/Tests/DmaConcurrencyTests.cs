using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Scenarios;
using Xunit;

namespace FastIova.Tests.Concurrency.Tests;

/// <summary>The DMA layer's flush queues, timer, thread exit, Dispose and workaround flip, each racing traffic.</summary>
public sealed class DmaConcurrencyTests
{
    [Theory]
    [AllStrategies]
    public void UnmapsRacingTimer_NothingReusedEarlyOrStranded(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.UnmapsRacingTimer, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void FullRingFlushRacingReap_NothingReusedEarlyOrStranded(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.FullRingFlushRacingReap, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void ThreadExitWithQueuedRanges_TimerFreesThem(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.ThreadExitWithQueuedRanges, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void DisposeWithQueuedRanges_LeavesNothingQueued(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.DisposeWithQueuedRanges, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void SharedQueueUnderContention_NothingReusedEarlyOrStranded(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.SharedQueueUnderContention, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void WorkaroundFlipRace_CountsOneFlip_BothMapAbove4GiB(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.WorkaroundFlipRace, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void WorkerHotPathRacingReapers_NothingHandedOutTwiceOrStranded(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.WorkerHotPathRacingReapers, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void WorkerUnmapDuringFlush_NothingReusedEarly(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.WorkerUnmapDuringFlush, strategy, ExplorationBudget.Short);

    [Theory]
    [AllStrategies]
    public void WorkerUnmapDuringTimerCover_NothingReusedEarlyOrStranded(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.WorkerUnmapDuringTimerCover, strategy, ExplorationBudget.Deep);

    [Theory]
    [AllStrategies]
    public void CpuUnmapDuringFlush_NothingReusedEarly(ExplorationStrategy strategy) =>
        SystematicExplorer.Explore(DmaScenarios.CpuUnmapDuringFlush, strategy, ExplorationBudget.Short);
}
