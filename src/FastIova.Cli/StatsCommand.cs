using System.CommandLine;
using FastIova.Cli.Inspection;
using FastIova.Trace;
using Spectre.Console;

namespace FastIova.Cli;

/// <summary>
/// <c>fastiova stats TRACE</c>: replays a trace and describes the IOVA space it leaves: live and cached ranges, free
/// gaps below and above 4 GiB, fragmentation, cache hit rates and why allocations failed; for a DMA domain also its flush
/// queues, IOTLB flushes, maps and the devices whose 32-bit workaround flipped.
/// </summary>
internal sealed class StatsCommand : Command
{
    private readonly Argument<string> _file = new("trace")
    {
        Description = "A trace file (.trace or .trace.gz).",
    };

    private readonly Option<long?> _at = new("--at")
    {
        Description = "Stop after this many operations (1-based; comments and blank lines do not count). Default: the end.",
    };

    /// <summary>Builds the command.</summary>
    public StatsCommand()
        : base("stats", "Replay a trace and print the state of its IOVA space: ranges, free gaps, fragmentation, cache hit rates, failures. " +
            "The last domain is described in full; a trace with several 'domain' lines also gets one summary row per domain. " + ExitCodes.InspectDescription)
    {
        Add(_file);
        Add(_at);
        _at.Validators.Add(OperationNumber.Validate);
        SetAction(parse => Run(
            parse.GetRequiredValue(_file),
            parse.GetValue(_at),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
    }

    /// <summary>Replays the trace and prints the tables.</summary>
    /// <returns>An <see cref="ExitCodes"/> value.</returns>
    internal static int Run(string file, long? at, TextWriter output, TextWriter error)
    {
        if (!InspectedTrace.TryReplay(file, at, error, out var inspector))
        {
            return ExitCodes.BadTrace;
        }

        using (inspector)
        {
            var domains = inspector.AllDomains();
            var console = AnsiConsoles.Create(output, AnsiConsoles.IsOutputTerminal(output));
            // Plain, so that a long path is not wrapped at the console's width.
            output.WriteLine($"{file}: {inspector.Operations} ops replayed, {inspector.Mismatches} mismatches, {domains.Count} domain(s)");
            if (domains.Count > 1)
            {
                console.Write(DomainsTable(domains));
            }

            var last = domains[^1];
            console.Write(SpaceTable(last));
            console.Write(CachesTable(last));
            console.Write(FailuresTable(last));
            if (last.Dma is { } dma)
            {
                console.Write(DmaTable(last, dma));
            }

            return inspector.Mismatches == 0 ? ExitCodes.Success : ExitCodes.Mismatch;
        }
    }

    private static string Title(SpaceSnapshot space) =>
        $"domain of line {space.Activity.DomainLine}: granule {space.Granule}, start pfn {space.StartPfn}, {space.CpuCount} CPUs, " +
        $"ops {space.Activity.FirstOperation}..{space.Activity.FirstOperation + space.Activity.Operations - 1}";

    private static Table DomainsTable(IReadOnlyList<SpaceSnapshot> domains)
    {
        var table = new Table().Title("Domains (each as its last op left it)").AddColumns("line", "granule", "start pfn", "ops", "live ranges", "live pfns", "fragmentation", "failed allocs", "mismatches");
        foreach (var space in domains)
        {
            var activity = space.Activity;
            long failures = activity.AllocFailures + activity.FastFailuresAfterFlush + activity.FastFailuresCacheOnly;
            table.AddRow(
                $"{activity.DomainLine}",
                $"{space.Granule}",
                $"{space.StartPfn}",
                Units.Count(activity.Operations),
                Units.Count(space.Statistics.LiveRanges),
                Units.Count(space.Statistics.LivePfns),
                Markup.Escape(Units.Fragmentation(space.Window.Fragmentation)),
                Units.Count(failures),
                Units.Count(activity.Mismatches));
        }

        return RightAlignNumbers(table, from: 1);
    }

    private static Table SpaceTable(SpaceSnapshot space)
    {
        var statistics = space.Statistics;
        var below = space.Below32Bit;
        var above = space.Above32Bit;
        var window = space.Window;
        var table = new Table().Title(Markup.Escape("Space: " + Title(space))).AddColumns("figure", "value");
        Row(table, "usable window", $"pfns [{space.StartPfn}, {space.WindowEnd}] (start pfn to the highest limit asked for)");
        Row(table, "32-bit boundary", $"pfn {space.Dma32Pfn} (4 GiB)");
        Row(table, "live ranges", $"{Units.Count(statistics.LiveRanges)} ranges, {Units.Count(statistics.LivePfns)} pfns ({Units.Bytes(statistics.LivePfns, space.Granule)}), cached ones included");
        Row(table, "cached ranges", $"{Units.Count(space.Cached.Length)} ranges, {Units.Count(space.CachedPfns)} pfns in magazines and depots");
        Row(table, "free below 4 GiB", below.IsEmpty ? "outside the window" : $"{Units.Count(below.TotalFree)} pfns in {Units.Count(below.GapCount)} gaps");
        Row(table, "largest gap below 4 GiB", below.IsEmpty ? "-" : Units.Gap(below.LargestGap, space.Granule));
        Row(table, "free at/above 4 GiB", above.IsEmpty ? "outside the window" : $"{Units.Count(above.TotalFree)} pfns in {Units.Count(above.GapCount)} gaps");
        Row(table, "largest gap at/above 4 GiB", above.IsEmpty ? "-" : Units.Gap(above.LargestGap, space.Granule));
        Row(table, "fragmentation below 4 GiB", below.IsEmpty ? "-" : Units.Fragmentation(below.Fragmentation));
        Row(table, "fragmentation, whole window", Units.Fragmentation(window.Fragmentation));
        table.Caption("fragmentation = 1 - largest free gap / free pfns, within the window; cached ranges count as used");
        return table;
    }

    private static Table CachesTable(SpaceSnapshot space)
    {
        var table = new Table().Title("Range caches").AddColumns("class", "sizes (pfns)", "hits", "misses", "hit rate", "cached ranges", "depot magazines");
        var cachedPerClass = space.Cached.GroupBy(r => SizeClassOf(r.Size)).ToDictionary(g => g.Key, g => g.Count());
        foreach (var sizeClass in space.Statistics.SizeClasses)
        {
            long attempts = sizeClass.Hits + sizeClass.Misses;
            ulong largest = 1UL << sizeClass.SizeClass;
            ulong smallest = sizeClass.SizeClass == 0 ? 1 : (largest >> 1) + 1;
            table.AddRow(
                $"{sizeClass.SizeClass}",
                smallest == largest ? $"{largest}" : $"{smallest}..{largest}",
                Units.Count(sizeClass.Hits),
                Units.Count(sizeClass.Misses),
                attempts == 0 ? "-" : Units.Percent((double)sizeClass.Hits / attempts),
                Units.Count(cachedPerClass.GetValueOrDefault(sizeClass.SizeClass)),
                Units.Count(sizeClass.DepotMagazines));
        }

        var statistics = space.Statistics;
        table.AddRow(
            "all",
            "",
            Units.Count(statistics.CacheHits),
            Units.Count(statistics.CacheMisses),
            statistics.CacheHits + statistics.CacheMisses == 0 ? "-" : Units.Percent(statistics.HitRate),
            Units.Count(space.Cached.Length),
            Units.Count(statistics.DepotMagazines));
        return RightAlignNumbers(table, from: 2);
    }

    private static Table FailuresTable(SpaceSnapshot space)
    {
        var statistics = space.Statistics;
        var activity = space.Activity;
        var table = new Table().Title("Failed allocations").AddColumns("what", "count", "meaning");
        table.AddRow("alloc", Units.Count(activity.AllocFailures), "alloc ops (alloc_iova) that failed");
        table.AddRow("alloc_fast, flush=1", Units.Count(activity.FastFailuresAfterFlush), "failed even after flushing every cache and retrying");
        table.AddRow("alloc_fast, flush=0 (cache-only)", Units.Count(activity.FastFailuresCacheOnly), "failed without flushing: free space may be parked in caches");
        table.AddRow("reserve", Units.Count(activity.ReserveFailures), "pfn beyond the granule's 64-bit byte addresses");
        table.AddRow("tree: no fitting block", Units.Count(statistics.FailuresExhausted), "tree searches that found no block (fast-path misses and retries included)");
        table.AddRow("tree: 32-bit hint", Units.Count(statistics.Failures32BitHint), "refused at once: size at least the last failed 32-bit size");
        table.AddRow("fast path, all", Units.Count(statistics.FastFailures), "fast-path allocations that failed (GetStatistics)");
        table.Columns[1].RightAligned();
        return table;
    }

    private static Table DmaTable(SpaceSnapshot space, DmaState dma)
    {
        var activity = dma.Activity;
        var table = new Table().Title("DMA layer").AddColumns("figure", "value");
        Row(table, "mode", DmaText.Mode(dma.Mode));
        Row(table, "queued (fq_pending)", $"{Units.Count(dma.PendingUnmaps)} entries: {Units.Count(space.Queued.Length)} ranges, {Units.Count(space.QueuedPfns)} pfns ({Units.Bytes(space.QueuedPfns, space.Granule)}) unmapped, awaiting an IOTLB flush");
        Row(table, "IOTLB flushes", $"{Units.Count(dma.IotlbFlushes)} flush-alls by the flush queues (full queue or timer)");
        Row(table, "flush timer", dma.TimerArmed ? "armed" : "not armed");
        Row(table, "maps", $"{Units.Count(activity.Maps)} mapped, {Units.Count(activity.MapFailures)} failed (no IOVA below the mask), {Units.Count(activity.MapNoMem)} map_nomem (page tables refused, IOVA freed at once)");
        Row(table, "unmaps", Units.Count(activity.Unmaps));
        Row(table, "workaround flips", DmaText.Flips(activity.Flips));
        return table;
    }

    private static int SizeClassOf(ulong size) => size <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount(size - 1);

    private static void Row(Table table, string figure, string value) => table.AddRow(Markup.Escape(figure), Markup.Escape(value));

    private static Table RightAlignNumbers(Table table, int from)
    {
        for (int i = from; i < table.Columns.Count; i++)
        {
            table.Columns[i].RightAligned();
        }

        return table;
    }
}
