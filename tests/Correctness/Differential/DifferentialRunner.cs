using System.Diagnostics;
using System.Text;
using Xunit;

namespace FastIova.Tests.Correctness.Differential;

/// <summary>
/// Runs a seeded op stream on the three subjects. On the first disagreement it shrinks the recorded stream to a short
/// sequence that still fails and reports seed, op index, the shrunk sequence (in trace syntax) and how to re-run.
/// </summary>
internal static class DifferentialRunner
{
    public const string SeedVariable = "FASTIOVA_DIFF_SEED";
    public const string OpsVariable = "FASTIOVA_DIFF_OPS";

    private static readonly TimeSpan s_shrinkBudget = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="operations"/> generated ops for each seed; returns the ops run in all.</summary>
    public static long RunSeeds(IEnumerable<int> seeds, int operations)
    {
        long total = 0;
        foreach (int seed in seeds)
        {
            total += Run(seed, operations);
        }

        return total;
    }

    /// <summary>Runs one seed; fails the test with a reproducible report on the first disagreement.</summary>
    public static int Run(int seed, int operations)
    {
        var scenario = DifferentialScenario.FromSeed(seed);
        var generator = new DifferentialOpGenerator(scenario);
        var history = new List<DifferentialOp>(operations);
        using var subjects = new DifferentialSubjects(scenario);

        foreach (DifferentialOp op in generator.Prologue().Concat(Enumerable.Range(0, operations).Select(_ => generator.Next(subjects.Reference))))
        {
            history.Add(op);
            if (subjects.Apply(op) is string failure)
            {
                Assert.Fail(Report(scenario, operations, history, failure));
            }
        }

        history.Add(DifferentialOp.CompareRanges());
        if (subjects.Apply(DifferentialOp.CompareRanges()) is string finalFailure)
        {
            Assert.Fail(Report(scenario, operations, history, finalFailure));
        }

        return history.Count;
    }

    private static string Report(DifferentialScenario scenario, int operations, List<DifferentialOp> history, string failure)
    {
        List<DifferentialOp> shrunk = Shrink(scenario, history);
        var text = new StringBuilder();
        text.AppendLine($"Differential mismatch: seed {scenario.Seed}, op index {history.Count - 1} ({history[^1]}): {failure}");
        text.AppendLine($"Scenario: {scenario}");
        text.AppendLine($"Re-run: {SeedVariable}={scenario.Seed} {OpsVariable}={operations} dotnet test tests/Correctness -c Release --filter FullyQualifiedName~DifferentialReplayTests");
        text.AppendLine($"Shrunk to {shrunk.Count} op(s), failing with: {FirstFailure(scenario, shrunk)?.Failure}");
        text.AppendLine($"domain {scenario.Granule} {scenario.StartPfn}");
        foreach (DifferentialOp op in shrunk)
        {
            text.AppendLine(op.ToString());
        }

        return text.ToString();
    }

    /// <summary>Delta debugging: drop chunks of ops, halving the chunk size, while the rest still fails.</summary>
    private static List<DifferentialOp> Shrink(DifferentialScenario scenario, List<DifferentialOp> failing)
    {
        var clock = Stopwatch.StartNew();
        var current = new List<DifferentialOp>(failing);
        for (int chunk = Math.Max(1, current.Count / 2); chunk >= 1 && clock.Elapsed < s_shrinkBudget; chunk /= 2)
        {
            // The failing op is the last one: keep it, try removing chunks before it.
            for (int start = current.Count - 1 - chunk; start >= 0 && clock.Elapsed < s_shrinkBudget; start -= chunk)
            {
                int from = Math.Max(0, start);
                var candidate = new List<DifferentialOp>(current);
                candidate.RemoveRange(from, Math.Min(chunk, current.Count - 1 - from));
                if (FirstFailure(scenario, candidate) is (int index, _))
                {
                    current = candidate[..(index + 1)]; // anything after the first failure is noise
                }
            }
        }

        return current;
    }

    /// <summary>Replays a fixed op list on fresh subjects: the index and description of the first failure, or null.</summary>
    private static (int Index, string Failure)? FirstFailure(DifferentialScenario scenario, List<DifferentialOp> ops)
    {
        using var subjects = new DifferentialSubjects(scenario);
        for (int i = 0; i < ops.Count; i++)
        {
            if (subjects.Apply(ops[i]) is string failure)
            {
                return (i, failure);
            }
        }

        return null;
    }
}
