using System.Diagnostics.Metrics;
using FastIova.Dma;
using Xunit;

namespace FastIova.Tests.Correctness.DmaRecording;

/// <summary>The <c>FastIova</c> meter's <c>fastiova.dma.*</c> instruments report what the DMA domain's own properties say.</summary>
public sealed class DmaMetricsTests
{
    [Fact]
    public void MeterListener_ObservesQueueDepthFlushesFlipsAndTheTimer()
    {
        // 16 pages below 4 GiB: the fifth 16 KiB map of the PCI device flips it. Lazy: unmaps wait in CPU 0's ring,
        // and 300 of them fill it once (a flush on a full queue).
        using var dma = new DmaDomain(new DmaDomainOptions
        {
            ApertureStart = 0xffff_0000,
            CpuCount = 2,
            UnmapMode = DmaUnmapMode.Lazy,
            SimulatedTimer = true,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
        var pci = dma.AttachDevice(1, ulong.MaxValue, 0xffff_ffff, pci32BitWorkaround: true);
        var cpu = dma.Cpu(0);
        for (ulong i = 0; i < 5; i++)
            cpu.Map(pci, i << 16, 16384);
        for (ulong i = 0; i < 300; i++)
            cpu.Unmap(cpu.Map(pci, i << 12, 4096), 4096);
        int id = dma.Iova.MetricsId;

        var observed = Observe();

        Assert.Equal(1, dma.WorkaroundFlips);
        Assert.Equal(1, dma.IotlbFlushes);
        Assert.InRange(dma.PendingUnmaps, 1, 255);
        Assert.Equal(dma.PendingUnmaps, observed[("fastiova.dma.flush_queue.depth", id)]);
        Assert.Equal(dma.IotlbFlushes, observed[("fastiova.dma.iotlb_flushes", id)]);
        Assert.Equal(dma.WorkaroundFlips, observed[("fastiova.dma.workaround_flips", id)]);
        Assert.Equal(1, observed[("fastiova.dma.flush_timer.armed", id)]);

        // The timer fires: the queue empties, one more flush, the timer disarmed.
        Assert.True(dma.FireFlushTimer());
        observed = Observe();
        Assert.Equal(0, observed[("fastiova.dma.flush_queue.depth", id)]);
        Assert.Equal(2, observed[("fastiova.dma.iotlb_flushes", id)]);
        Assert.Equal(0, observed[("fastiova.dma.flush_timer.armed", id)]);

        // A disposed domain leaves the meter.
        dma.Dispose();
        Assert.DoesNotContain(Observe().Keys, key => key.Domain == id);
    }

    private static Dictionary<(string Instrument, int Domain), long> Observe()
    {
        var observed = new Dictionary<(string, int), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IovaMetrics.MeterName && instrument.Name.StartsWith("fastiova.dma.", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            int domain = (int)tags.ToArray().Single(t => t.Key == "domain").Value!;
            observed[(instrument.Name, domain)] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return observed;
    }
}
