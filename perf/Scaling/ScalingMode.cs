using System.Globalization;
using FastIova.Dma;
using FastIova.Perf.Reporting;
using FastIova.Perf.Timing;
using Perfolizer.Mathematics.QuantileEstimators;

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

    /// <summary>
    /// Runs the workloads (all, or those whose impl is in <paramref name="impls"/>) on every thread count for
    /// <paramref name="seconds"/> each, <paramref name="rounds"/> times interleaved; a row reports the rounds' median.
    /// <paramref name="settings"/> (null: the defaults) vary the workloads for analysis; the header says how.
    /// </summary>
    public static int Run(IReadOnlyList<int> threadCounts, double seconds, string? jsonPath, int rounds = 1, IReadOnlyCollection<string>? impls = null, ScalingSettings? settings = null)
    {
        settings ??= ScalingSettings.Default;
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(Math.Clamp(seconds / 4, 0.1, 1.0));
        IScalingWorkload[] workloads = [.. Workloads.Where(w => impls is not { Count: > 0 } || impls.Contains(w.Impl))];
        ResultTable.Line($"scaling: {MachineDescription.Describe()}");
        ResultTable.Line($"{seconds.ToString(CultureInfo.InvariantCulture)} s per row after {warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s of warm-up; one op = one allocation or one free; limit Dma32Pfn - 1; sizes 1..16 pfns");
        if (settings.WorkingSet != ScalingSettings.DefaultWorkingSet)
            ResultTable.Line($"per-thread workloads: {settings.WorkingSet} live ranges per thread (default {ScalingSettings.DefaultWorkingSet})");
        if (settings.WorkingSets != 1)
            ResultTable.Line($"per-thread workloads: {settings.WorkingSets} working sets per thread, all live, worked in turns of {ScalingSettings.TurnPairs:N0} pairs");
        if (settings.DmaQueueSlots is int slots)
            ResultTable.Line($"dma-lazy: {slots} slots per flush queue (the kernel's: {FlushQueues.PerCpuSlots})");
        if (rounds > 1)
            ResultTable.Line($"{rounds} rounds per workload, thread counts interleaved; each row is the median, with the rounds' range");

        // Untimed passes over every workload until the JIT has finished with them (see JitSettling): the first rows
        // would otherwise run on code that is still being promoted.
        JitSettling.Exercise(() =>
        {
            foreach (IScalingWorkload workload in workloads)
                ScalingRunner.Run(workload, threadCounts.Min(), TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.05), settings);
        });

        var results = new List<ScalingResult>();
        var ranges = new Dictionary<ScalingResult, (double Min, double Max)>();
        foreach (IScalingWorkload workload in workloads)
        {
            var runs = threadCounts.ToDictionary(threads => threads, _ => new List<ScalingResult>());
            for (int round = 0; round < rounds; round++)
            {
                foreach (int threads in threadCounts)
                {
                    ScalingResult result = ScalingRunner.Run(workload, threads, duration, warmup, settings);
                    runs[threads].Add(result);
                    string waits = result.LockWaitsPerSecond is double perSecond ? $", {LockWaits(perSecond)} tree-lock waits/s" : "";
                    Console.Error.WriteLine($"  {result.Workload,-18} {result.Impl,-14} {threads,3} threads: {ResultTable.Number(result.Mops)} Mops/s{waits}");
                }
            }

            foreach (int threads in threadCounts)
            {
                List<ScalingResult> measured = runs[threads];
                double? waits = measured[0].LockWaitsPerSecond is null ? null : Median(measured.Select(r => r.LockWaitsPerSecond!.Value));
                var row = new ScalingResult(workload.Workload, workload.Impl, threads, Median(measured.Select(r => r.Mops)), waits);
                results.Add(row);
                ranges[row] = (measured.Min(r => r.Mops), measured.Max(r => r.Mops));
            }
        }

        string[] columns = ["workload", "impl", "threads", "Mops/s", "per-thread Mops/s", "speed-up over 1 thread", "tree-lock waits/s"];
        ResultTable.Print(
            rounds > 1 ? $"Scaling (Mops/s: million allocations + frees per second; median of {rounds} rounds)" : "Scaling (Mops/s: million allocations + frees per second)",
            rounds > 1 ? [.. columns, "rounds' range"] : columns,
            results.Select(r => (IReadOnlyList<string>)
            [
                r.Workload,
                r.Impl,
                r.Threads.ToString(CultureInfo.InvariantCulture),
                ResultTable.Number(r.Mops),
                ResultTable.Number(r.MopsPerThread),
                SpeedUp(results, r),
                r.LockWaitsPerSecond is double waits ? LockWaits(waits) : "-",
                .. rounds > 1 ? [$"{ResultTable.Number(ranges[r].Min)}-{ResultTable.Number(ranges[r].Max)}"] : Array.Empty<string>(),
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
                if (r.LockWaitsPerSecond is double waits)
                    writer.WriteNumber("tree_lock_waits_per_s", Math.Round(waits));
            });
            ResultTable.Line($"JSON: {jsonPath}");
        }

        return 0;
    }

    private static double Median(IEnumerable<double> values) => SimpleQuantileEstimator.Instance.Quantile([.. values], 0.5);

    private static string LockWaits(double perSecond) => Math.Round(perSecond).ToString("N0", CultureInfo.InvariantCulture);

    private static string SpeedUp(List<ScalingResult> results, ScalingResult row)
    {
        ScalingResult? single = results.Find(r => r.Workload == row.Workload && r.Impl == row.Impl && r.Threads == 1);
        return single is null || single.Mops == 0
            ? "-"
            : (row.Mops / single.Mops).ToString("F2", CultureInfo.InvariantCulture) + "x";
    }
}
