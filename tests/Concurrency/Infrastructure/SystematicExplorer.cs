using System.Diagnostics;
using System.Globalization;
using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Xunit;

namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>
/// Runs scenarios under Coyote's <see cref="TestingEngine"/>: explores, replays, and turns a found bug into a failed
/// xunit test that carries the bug report, the saved trace's path and the command that replays it.
/// </summary>
public static class SystematicExplorer
{
    /// <summary>The environment variable that names a saved trace for <see cref="TraceReplayTests"/>.</summary>
    public const string ReplayVariable = "FASTIOVA_COYOTE_REPLAY";

    /// <summary>
    /// Explores <paramref name="scenario"/> for <paramref name="iterations"/> (scaled by
    /// <see cref="ExplorationBudget.Scale"/>) with the scenario's seed for <paramref name="strategy"/>, and fails the
    /// calling xunit test if Coyote finds a bug.
    /// </summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="strategy">The strategy.</param>
    /// <param name="iterations">Unscaled iteration count, one of the <see cref="ExplorationBudget"/> constants.</param>
    public static ExplorationResult Explore(Scenario scenario, ExplorationStrategy strategy, uint iterations)
    {
        ExplorationResult result = Run(scenario, strategy, ExplorationBudget.Scaled(iterations), ExplorationBudget.SeedFor(scenario.Name, strategy));
        Log("explored.tsv", result);
        if (result.BugFound)
        {
            Log("found.tsv", result);
            string path = new SavedTrace(scenario.Name, strategy.ToString(), result.Seed, result.Iterations, scenario.MemoryRaceChecking,
                result.BugReport, result.ReproducibleTrace ?? "").Save();
            Assert.Fail(
                $"Coyote found a bug in {scenario.Name} ({strategy}, seed {result.Seed}) at iteration {result.Iterations}:{Environment.NewLine}" +
                $"{result.BugReport}{Environment.NewLine}" +
                $"Trace saved to {path}{Environment.NewLine}" +
                $"Replay it in one iteration: {ReplayVariable}={path} dotnet test tests/Concurrency --filter FullyQualifiedName~TraceReplayTests");
        }

        return result;
    }

    /// <summary>Runs <paramref name="scenario"/> under Coyote and reports what it found, without asserting anything.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="strategy">The strategy.</param>
    /// <param name="iterations">Iterations (not scaled).</param>
    /// <param name="seed">The seed.</param>
    public static ExplorationResult Run(Scenario scenario, ExplorationStrategy strategy, uint iterations, uint seed)
    {
        Configuration configuration = Configure(scenario, iterations).WithRandomGeneratorSeed(seed);
        configuration = strategy switch
        {
            ExplorationStrategy.Random => configuration.WithRandomStrategy(),
            ExplorationStrategy.Prioritization => configuration.WithPrioritizationStrategy(isFair: true, priorityChangeBound: 10),
            ExplorationStrategy.Probabilistic => configuration.WithProbabilisticStrategy(probabilityLevel: 3),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown strategy."),
        };
        return Execute(scenario, strategy, seed, configuration);
    }

    /// <summary>Replays a saved trace in one iteration.</summary>
    /// <param name="saved">The trace.</param>
    public static ExplorationResult Replay(SavedTrace saved)
    {
        Scenario scenario = ScenarioCatalog.Get(saved.Scenario);
        if (scenario.MemoryRaceChecking != saved.MemoryRaceChecking)
        {
            throw new InvalidOperationException(
                $"{saved.Scenario} now has MemoryRaceChecking={scenario.MemoryRaceChecking}, the trace was taken with {saved.MemoryRaceChecking}: its scheduling points differ.");
        }

        return Execute(scenario, null, 0, Configure(scenario, 1).WithReproducibleTrace(saved.Trace));
    }

    private static Configuration Configure(Scenario scenario, uint iterations) =>
        Configuration.Create()
            .WithTestingIterations(iterations)
            .WithMaxSchedulingSteps(ExplorationBudget.MaxSteps)
            .WithMemoryAccessRaceCheckingEnabled(scenario.MemoryRaceChecking)
            .WithTelemetryEnabled(false);

    private static ExplorationResult Execute(Scenario scenario, ExplorationStrategy? strategy, uint seed, Configuration configuration)
    {
        var stopwatch = Stopwatch.StartNew();
        using TestingEngine engine = TestingEngine.Create(configuration, scenario.Body);
        uint iterationsRun = 0;
        engine.RegisterEndIterationCallBack(iteration => iterationsRun = iteration + 1);
        engine.Run();
        TestReport report = engine.TestReport;
        var bugs = report.BugReports.ToList();
        bugs.AddRange(report.InternalErrors.Select(e => $"Coyote internal error: {e}"));
        return new ExplorationResult(
            scenario.Name,
            strategy,
            seed,
            iterationsRun,
            bugs,
            bugs.Count > 0 ? engine.ReproducibleTrace : null,
            report.UncontrolledInvocations.ToList(),
            stopwatch.Elapsed,
            Math.Max(report.MaxExploredFairSteps, report.MaxExploredUnfairSteps),
            iterationsRun == 0 ? 0 : (double)(report.TotalExploredFairSteps + report.TotalExploredUnfairSteps) / iterationsRun);
    }

    // One line per run, read by mutations.sh (found.tsv) and by whoever sizes the budget (explored.tsv).
    private static void Log(string file, ExplorationResult result)
    {
        Directory.CreateDirectory(SavedTrace.Directory);
        string firstLine = result.BugReports.FirstOrDefault()?.Split('\n')[0].Trim().Replace('\t', ' ') ?? "";
        File.AppendAllText(
            Path.Combine(SavedTrace.Directory, file),
            string.Join('\t',
                result.Scenario,
                result.Strategy?.ToString() ?? "Replay",
                result.Seed.ToString(CultureInfo.InvariantCulture),
                result.Iterations.ToString(CultureInfo.InvariantCulture),
                result.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
                firstLine,
                result.MaxSteps.ToString(CultureInfo.InvariantCulture),
                result.AverageSteps.ToString("F0", CultureInfo.InvariantCulture)) + Environment.NewLine);
    }
}
