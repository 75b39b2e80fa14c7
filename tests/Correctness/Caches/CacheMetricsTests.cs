using System.Diagnostics.Metrics;
using Xunit;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>The <c>FastIova</c> meter reports, per domain, the same numbers as <see cref="IovaDomain.GetStatistics"/>.</summary>
public sealed class CacheMetricsTests
{
    private const int Classes = 7;

    [Fact]
    public void MeterListener_ObservesTheDomainsStatistics()
    {
        using var domain = new IovaDomain(4096, 1, new IovaDomainOptions
        {
            SizeClasses = Classes,
            MagazineSize = 3,
            CpuCount = 1,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
        MakeTraffic(domain);
        var stats = domain.GetStatistics();
        Assert.True(stats.DepotMagazines > 0);
        Assert.True(stats.TrimmedMagazines > 0);

        var observed = Observe();
        int id = domain.MetricsId;

        Assert.Equal(stats.LiveRanges, observed[("fastiova.live_ranges", id, null, null)]);
        Assert.Equal(stats.TreeAllocations, observed[("fastiova.tree.allocations", id, null, null)]);
        Assert.Equal(stats.TreeFrees, observed[("fastiova.tree.frees", id, null, null)]);
        Assert.Equal(stats.TreeLockContentions, observed[("fastiova.tree.lock_contentions", id, null, null)]);
        Assert.Equal(stats.TrimmedMagazines, observed[("fastiova.depot.trimmed", id, null, null)]);
        Assert.Equal(stats.Flushes, observed[("fastiova.cache.flushes", id, null, null)]);
        Assert.Equal(stats.FailuresExhausted, observed[("fastiova.allocation.failures", id, null, "exhausted")]);
        Assert.Equal(stats.Failures32BitHint, observed[("fastiova.allocation.failures", id, null, "dma32_hint")]);
        Assert.Equal(stats.FastFailures, observed[("fastiova.allocation.failures", id, null, "fast_path")]);
        Assert.Equal(1, stats.FailuresExhausted);
        Assert.Equal(1, stats.Failures32BitHint);
        Assert.Equal(2, stats.FastFailures);
        for (int k = 0; k < Classes; k++)
        {
            Assert.Equal(stats.SizeClasses[k].Hits, observed[("fastiova.cache.hits", id, k, null)]);
            Assert.Equal(stats.SizeClasses[k].Misses, observed[("fastiova.cache.misses", id, k, null)]);
            Assert.Equal(stats.SizeClasses[k].DepotMagazines, observed[("fastiova.depot.magazines", id, k, null)]);
        }

        // A disposed domain leaves the meter.
        domain.Dispose();
        Assert.DoesNotContain(Observe().Keys, key => key.Domain == id);
    }

    /// <summary>Distinct numbers per class, a depot, a trim and failures of each reason.</summary>
    private static void MakeTraffic(IovaDomain domain)
    {
        var cpu = domain.Cpu(0);
        for (int k = 0; k < Classes; k++)
        {
            ulong size = 1UL << k;
            int count = 2 * 3 + 3 * (k + 1); // overflows loaded and prev: k + 1 magazines in the depot
            var pfns = new ulong[count];
            for (int i = 0; i < count; i++)
                Assert.True(cpu.TryAllocateFast(size, 1 << 20, false, out pfns[i]));
            foreach (ulong pfn in pfns)
                cpu.FreeFast(pfn, size);
            for (int i = 0; i <= k; i++)
                Assert.True(cpu.TryAllocateFast(size, 1 << 20, false, out _)); // hits
        }

        domain.TrimDepot();
        Assert.False(cpu.TryAllocateFast(1000, 100, false, out _));  // no room: exhausted, max32_alloc_size := 1000
        Assert.False(cpu.TryAllocateFast(1000, 5000, false, out _)); // refused by the 32-bit hint
    }

    private static Dictionary<(string Instrument, int Domain, int? SizeClass, string? Reason), long> Observe()
    {
        var observed = new Dictionary<(string, int, int?, string?), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IovaMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            int domain = -1;
            int? sizeClass = null;
            string? reason = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "domain":
                        domain = (int)tag.Value!;
                        break;
                    case "size_class":
                        sizeClass = (int)tag.Value!;
                        break;
                    case "reason":
                        reason = (string)tag.Value!;
                        break;
                }
            }

            lock (observed)
                observed[(instrument.Name, domain, sizeClass, reason)] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return observed;
    }
}
