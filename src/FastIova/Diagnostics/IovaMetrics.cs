using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace FastIova;

/// <summary>
/// The <c>FastIova</c> meter (System.Diagnostics.Metrics). Every instrument is observable: it reads
/// <see cref="IovaDomain.GetStatistics"/> of each live domain when a listener collects, so the allocation paths pay
/// nothing for metrics. Measurements carry a <c>domain</c> tag (a process-unique number) and, where it applies,
/// <c>size_class</c> or <c>reason</c>. DMA domains add the <c>fastiova.dma.*</c> instruments (<see cref="Dma.DmaMetrics"/>),
/// tagged with their IOVA domain's number.
/// </summary>
public static class IovaMetrics
{
    /// <summary>The meter's name, for <c>MeterListener</c> or <c>dotnet-counters monitor --counters FastIova</c>.</summary>
    public const string MeterName = "FastIova";

    private static readonly ConditionalWeakTable<IovaDomain, object> s_domains = new();
    private static readonly Meter s_meter = new(MeterName);

    /// <summary>The meter itself, for the DMA layer's instruments (<see cref="Dma.DmaMetrics"/>).</summary>
    internal static Meter Meter => s_meter;
    private static int s_nextId;

    static IovaMetrics()
    {
        s_meter.CreateObservableGauge("fastiova.live_ranges", () => Each(s => [s.LiveRanges]), "{range}", "Ranges in the tree, cached ones included.");
        s_meter.CreateObservableCounter("fastiova.tree.allocations", () => Each(s => [s.TreeAllocations]), "{range}", "Successful tree allocations.");
        s_meter.CreateObservableCounter("fastiova.tree.frees", () => Each(s => [s.TreeFrees]), "{range}", "Ranges removed from the tree.");
        s_meter.CreateObservableCounter("fastiova.tree.lock_contentions", () => Each(s => [s.TreeLockContentions]), "{wait}", "Tree-lock entries that waited for another thread.");
        s_meter.CreateObservableCounter("fastiova.allocation.failures", () => Failures(), "{allocation}", "Failed allocations by reason.");
        s_meter.CreateObservableCounter("fastiova.cache.hits", () => PerClass(c => c.Hits), "{allocation}", "Fast-path allocations served by a cache.");
        s_meter.CreateObservableCounter("fastiova.cache.misses", () => PerClass(c => c.Misses), "{allocation}", "Fast-path allocations that went to the tree.");
        s_meter.CreateObservableGauge("fastiova.depot.magazines", () => PerClass(c => c.DepotMagazines), "{magazine}", "Full magazines in the depot.");
        s_meter.CreateObservableCounter("fastiova.depot.trimmed", () => Each(s => [s.TrimmedMagazines]), "{magazine}", "Magazines freed by depot trimming.");
        s_meter.CreateObservableCounter("fastiova.cache.flushes", () => Each(s => [s.Flushes]), "{flush}", "Whole-cache flushes.");
    }

    internal static int Register(IovaDomain domain)
    {
        int id = Interlocked.Increment(ref s_nextId);
        s_domains.AddOrUpdate(domain, id);
        return id;
    }

    internal static void Unregister(IovaDomain domain) => s_domains.Remove(domain);

    private static IEnumerable<(IovaDomain Domain, int Id, IovaStatistics Stats)> Snapshots()
    {
        foreach (var (domain, id) in s_domains)
        {
            IovaStatistics stats;
            try
            {
                stats = domain.GetStatistics();
            }
            catch (ObjectDisposedException)
            {
                continue;
            }

            yield return (domain, (int)id, stats);
        }
    }

    private static IEnumerable<Measurement<long>> Each(Func<IovaStatistics, long[]> read)
    {
        foreach (var (_, id, stats) in Snapshots())
        {
            foreach (long value in read(stats))
                yield return new Measurement<long>(value, new KeyValuePair<string, object?>("domain", id));
        }
    }

    private static IEnumerable<Measurement<long>> PerClass(Func<SizeClassStatistics, long> read)
    {
        foreach (var (_, id, stats) in Snapshots())
        {
            foreach (var sizeClass in stats.SizeClasses)
            {
                yield return new Measurement<long>(read(sizeClass),
                    new KeyValuePair<string, object?>("domain", id),
                    new KeyValuePair<string, object?>("size_class", sizeClass.SizeClass));
            }
        }
    }

    private static IEnumerable<Measurement<long>> Failures()
    {
        foreach (var (_, id, stats) in Snapshots())
        {
            var domainTag = new KeyValuePair<string, object?>("domain", id);
            yield return new Measurement<long>(stats.FailuresExhausted, domainTag, new("reason", "exhausted"));
            yield return new Measurement<long>(stats.Failures32BitHint, domainTag, new("reason", "dma32_hint"));
            yield return new Measurement<long>(stats.FastFailures, domainTag, new("reason", "fast_path"));
        }
    }
}
