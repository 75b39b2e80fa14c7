using System.Globalization;
using FastIova.Perf.Reporting;
using FastIova.Perf.Timing;

namespace FastIova.Perf.Scaling;

/// <summary>
/// <c>perf scaling</c>: throughput of the workloads on 1..T threads without BenchmarkDotNet (so that the trimmed
/// binary can run it on a machine without .NET), as a table and optionally as JSON rows
/// <c>{workload, impl, threads, mops}</c>.
/// </summary>
internal static class ScalingMode
{
    /// <summary>The workloads, in table order.</summary>
    public static IReadOnlyList<IScalingWorkload> Workloads { get; } =
    [
        PerThreadWorkload.FastPath,
        PerThreadWorkload.OwnedCache,
        ProducerConsumerWorkload.Instance,
        PerThreadWorkload.GlobalLock,
        PerThreadWorkload.TreePath,
        PerThreadWorkload.CheckedFastPath,
        DmaWorkload.Lazy,
        DmaWorkload.Strict,
    ];

    /// <summary>Runs every workload on every thread count for <paramref name="seconds"/> each.</summary>
    public static int Run(IReadOnlyList<int> threadCounts, double seconds, string? jsonPath)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Clamp(seconds / 4, 0.1, 1.0));
        ResultTable.Line($"scaling: {MachineDescription.Describe()}");
        ResultTable.Line($"{seconds.ToString(CultureInfo.InvariantCulture)} s per row after {warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s of warm-up; one op = one allocation or one free; limit Dma32Pfn - 1; sizes 1..16 pfns");

        // Untimed passes over every workload until the JIT has finished with them (see JitSettling): the first rows
        // would otherwise run on code that is still being promoted.
        JitSettling.Exercise(() =>
        {
            foreach (IScalingWorkload workload in Workloads)
                ScalingRunner.Run(workload, threadCounts.Min(), TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.05));
        });

        var results = new List<ScalingResult>();
        foreach (IScalingWorkload workload in Workloads)
        {
            foreach (int threads in threadCounts)
            {
                ScalingResult result = ScalingRunner.Run(workload, threads, duration, warmup);
                results.Add(result);
                Console.Error.WriteLine($"  {result.Workload,-18} {result.Impl,-14} {threads,3} threads: {ResultTable.Number(result.Mops)} Mops/s");
            }
        }

        ResultTable.Print(
            "Scaling (Mops/s: million allocations + frees per second)",
            ["workload", "impl", "threads", "Mops/s", "per-thread Mops/s", "speed-up over 1 thread"],
            results.Select(r => (IReadOnlyList<string>)
            [
                r.Workload,
                r.Impl,
                r.Threads.ToString(CultureInfo.InvariantCulture),
                ResultTable.Number(r.Mops),
                ResultTable.Number(r.MopsPerThread),
                SpeedUp(results, r),
            ]),
            firstNumericColumn: 2);

        if (jsonPath is not null)
        {
            JsonRowsFile.Write(jsonPath, results, (writer, r) =>
            {
                writer.WriteString("workload", r.Workload);
                writer.WriteString("impl", r.Impl);
                writer.WriteNumber("threads", r.Threads);
                writer.WriteNumber("mops", Math.Round(r.Mops, 3));
            });
            ResultTable.Line($"JSON: {jsonPath}");
        }

        return 0;
    }

    private static string SpeedUp(List<ScalingResult> results, ScalingResult row)
    {
        ScalingResult? single = results.Find(r => r.Workload == row.Workload && r.Impl == row.Impl && r.Threads == 1);
        return single is null || single.Mops == 0
            ? "-"
            : (row.Mops / single.Mops).ToString("F2", CultureInfo.InvariantCulture) + "x";
    }
}
