using System.Globalization;
using FastIova.Perf.Reporting;
using FastIova.Perf.Scenarios;
using FastIova.Perf.Timing;

namespace FastIova.Perf.Align;

/// <summary>
/// <c>perf align</c>: the documented worst case of the augmented search (<see cref="MisalignedGapsScenario"/>), timed
/// with FastIova's search and with the kernel's walk in the same run. JSON rows <c>{workload, impl, gaps, ns}</c>.
/// </summary>
internal static class AlignMode
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(0.5);
    private static readonly Implementation[] s_implementations = [Implementation.Augmented, Implementation.LinearWalk];

    public static int Run(IReadOnlyList<int> gapCounts, string? jsonPath)
    {
        ResultTable.Line($"align: {MachineDescription.Describe()}");
        ResultTable.Line("ns = median time of a size-aligned 4-pfn allocation below N misaligned 4-pfn gaps (the gap test passes, the alignment fails)");
        var warm = s_implementations.Select(impl => MisalignedGapsScenario.Build(1_000, impl.ToDomainOptions())).ToList();
        MedianTimer.WarmUp(warm);
        warm.ForEach(scenario => scenario.Dispose());

        var rows = new List<(string Impl, int Gaps, double Ns)>();
        foreach (int gaps in gapCounts)
        {
            foreach (Implementation impl in s_implementations)
            {
                using var scenario = MisalignedGapsScenario.Build(gaps, impl.ToDomainOptions());
                double ns = MedianTimer.MedianNanoseconds(scenario, Budget);
                rows.Add((impl.Label(), gaps, ns));
                Console.Error.WriteLine($"  N={gaps,-8} {impl.Label(),-12} {ResultTable.Number(ns)} ns");
            }
        }

        ResultTable.Print(
            "Aligned worst case (ns per allocation)",
            ["impl", "misaligned gaps", "ns", "ns per gap"],
            rows.Select(r => (IReadOnlyList<string>)
            [
                r.Impl,
                r.Gaps.ToString("N0", CultureInfo.InvariantCulture),
                ResultTable.Number(r.Ns),
                ResultTable.Number(r.Ns / r.Gaps),
            ]),
            firstNumericColumn: 1);
        if (jsonPath is not null)
        {
            JsonRowsFile.Write(jsonPath, rows, (writer, r) =>
            {
                writer.WriteString("workload", "aligned-worst-case");
                writer.WriteString("impl", r.Impl);
                writer.WriteNumber("gaps", r.Gaps);
                writer.WriteNumber("ns", Math.Round(r.Ns, 1));
            });
            ResultTable.Line($"JSON: {jsonPath}");
        }

        return 0;
    }
}
