using System.Globalization;
using FastIova.Perf.Baselines;
using FastIova.Perf.Reporting;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Memory;

/// <summary>
/// <c>perf memory</c>: bytes per live range. Builds a domain with N live ranges (1..16 pfns each, 64-bit limit)
/// and reports, divided by N, the growth of the live heap after a full collection (<see cref="GC.GetTotalMemory"/>,
/// what the ranges keep) and the bytes allocated while building (<see cref="GC.GetTotalAllocatedBytes"/>, what they
/// cost the GC). The global-lock baseline's sorted set is measured the same way for scale.
/// </summary>
internal static class MemoryMode
{
    /// <summary>The issue's target: at most 48 bytes per live range.</summary>
    public const double TargetBytesPerRange = 48;

    /// <summary>Measures each implementation with <paramref name="liveRanges"/> live ranges.</summary>
    public static int Run(int liveRanges, string? jsonPath)
    {
        ResultTable.Line($"memory: {MachineDescription.Describe()}");
        var rows = new List<(string Impl, double Retained, double Allocated)>
        {
            Measure("fastiova (augmented)", liveRanges, () => BuildDomain(liveRanges, Implementation.Augmented)),
            Measure("fastiova (linear-walk)", liveRanges, () => BuildDomain(liveRanges, Implementation.LinearWalk)),
        };

        IovaRange[] ranges;
        using (IovaDomain source = BuildDomain(liveRanges, Implementation.Augmented))
        {
            ranges = source.GetRanges();
        }

        rows.Add(Measure("global-lock (SortedSet)", liveRanges, () => new GlobalLockAllocator(FragmentedDomain.StartPfn, ranges)));

        ResultTable.Print(
            $"Bytes per live range at {liveRanges.ToString("N0", CultureInfo.InvariantCulture)} live ranges (target <= {TargetBytesPerRange})",
            ["impl", "retained B/range", "allocated B/range"],
            rows.Select(r => (IReadOnlyList<string>)[r.Impl, r.Retained.ToString("F1", CultureInfo.InvariantCulture), r.Allocated.ToString("F1", CultureInfo.InvariantCulture)]),
            firstNumericColumn: 1);

        if (jsonPath is not null)
        {
            JsonRowsFile.Write(jsonPath, rows, (writer, r) =>
            {
                writer.WriteString("workload", "memory");
                writer.WriteString("impl", r.Impl);
                writer.WriteNumber("live", liveRanges);
                writer.WriteNumber("retainedBytesPerRange", Math.Round(r.Retained, 2));
                writer.WriteNumber("allocatedBytesPerRange", Math.Round(r.Allocated, 2));
            });
            ResultTable.Line($"JSON: {jsonPath}");
        }

        return 0;
    }

    /// <summary>A domain with <paramref name="liveRanges"/> ranges and no frees (nothing freed, nothing to recycle).</summary>
    private static IovaDomain BuildDomain(int liveRanges, Implementation impl)
    {
        var domain = new IovaDomain(FragmentedDomain.Granule, FragmentedDomain.StartPfn, impl.ToDomainOptions());
        ulong limit = FragmentedDomain.LimitPfn(domain);
        var random = new Random(7);
        for (int i = 0; i < liveRanges; i++)
        {
            if (!domain.TryAllocate((ulong)random.Next(1, 17), limit, sizeAligned: false, out _))
            {
                throw new InvalidOperationException($"Building the memory domain failed at range {i}.");
            }
        }

        return domain;
    }

    private static (string Impl, double Retained, double Allocated) Measure(string impl, int liveRanges, Func<object> build)
    {
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        object built = build();
        long allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(built);
        (built as IDisposable)?.Dispose();
        return (impl, (heapAfter - heapBefore) / (double)liveRanges, (allocatedAfter - allocatedBefore) / (double)liveRanges);
    }
}
