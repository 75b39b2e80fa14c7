using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace FastIova.Dma;

/// <summary>
/// The DMA layer's instruments on the <c>FastIova</c> meter (<see cref="IovaMetrics.MeterName"/>): flush-queue depth,
/// IOTLB flush-alls, 32-bit workaround flips and whether the flush timer is armed. All observable: they read each live
/// <see cref="DmaDomain"/> when a listener collects, so maps and unmaps pay nothing for them. Measurements carry the
/// <c>domain</c> tag of the DMA domain's <see cref="DmaDomain.Iova"/>, so they line up with its <c>fastiova.*</c> ones.
/// </summary>
/// <remarks>
/// There is no map or unmap counter: a count shared by every thread would cost each map an interlocked increment on
/// one cache line, which the per-thread scaling cannot afford; the IOVA instruments (<c>fastiova.cache.hits</c> and
/// <c>fastiova.cache.misses</c>) already count the allocations behind the maps.
/// </remarks>
public static class DmaMetrics
{
    private static readonly ConditionalWeakTable<DmaDomain, object?> s_domains = new();

    static DmaMetrics()
    {
        Meter meter = IovaMetrics.Meter;
        meter.CreateObservableGauge("fastiova.dma.flush_queue.depth", () => Each(d => d.QueuedUnmaps), "{range}", "Unmapped IOVAs waiting in flush queues for an IOTLB flush (still allocated).");
        meter.CreateObservableCounter("fastiova.dma.iotlb_flushes", () => Each(d => d.FlushCount), "{flush}", "IOTLB flush-alls done by the flush queues (full queue, timer, explicit flush).");
        meter.CreateObservableCounter("fastiova.dma.workaround_flips", () => Each(d => d.WorkaroundFlips), "{device}", "Devices whose PCI 32-bit workaround a failed attempt below 4 GiB has cleared.");
        meter.CreateObservableGauge("fastiova.dma.flush_timer.armed", () => Each(d => d.FlushTimerArmed ? 1 : 0), "{timer}", "1 while the flush-queue timer is armed.");
    }

    internal static void Register(DmaDomain domain) => s_domains.AddOrUpdate(domain, null);

    internal static void Unregister(DmaDomain domain) => s_domains.Remove(domain);

    private static IEnumerable<Measurement<long>> Each(Func<DmaDomain, long> read)
    {
        // The counters are plain reads, safe on a domain being disposed meanwhile.
        foreach (var (domain, _) in s_domains)
            yield return new Measurement<long>(read(domain), new KeyValuePair<string, object?>("domain", domain.Iova.MetricsId));
    }
}
