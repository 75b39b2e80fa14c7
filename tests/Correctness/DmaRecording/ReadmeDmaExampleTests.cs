using FastIova.Dma;
using FastIova.Tests.Correctness.Cli;
using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.DmaRecording;

/// <summary>
/// The README's "DMA layer" example, compiled and run here so that it cannot rot: a NIC-like and an NVMe-like device
/// model, recorded, then replayed, described and drawn by the <c>fastiova</c> commands it names.
/// </summary>
public sealed class ReadmeDmaExampleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fastiova-readme-dma-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReadmeExample_RunsRecordsAndReplays()
    {
        string path = Path.Combine(_folder, "nic-nvme.trace");
        ulong packet;
        ulong[] addresses;

        // ---- README: DMA layer (begin) ----
        using (var recorder = TraceRecorder.ToFile(path))
        using (var dma = new DmaDomain(new DmaDomainOptions
        {
            UnmapMode = DmaUnmapMode.Lazy,           // Linux's default: unmapped IOVAs wait for an IOTLB flush
            CpuCount = 4,
            SimulatedTimer = true,                   // the 10 ms flush timer is an event the simulator fires
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
            Recorder = recorder,                     // optional: record the run for `fastiova replay/stats/map`
        }))
        {
            DmaCpu cpu = dma.Cpu(0);

            // A NIC (PCI, 64-bit mask): map a 1500-byte packet, give the address to the device model, unmap it.
            DmaDevice nic = dma.AttachDevice(id: 1, dmaMask: ulong.MaxValue, coherentMask: 0xffff_ffff, pci32BitWorkaround: true);
            packet = cpu.Map(nic, physical: 0x1234_5042, size: 1500);
            cpu.Unmap(packet, 1500);

            // An NVMe controller: a 128 KiB read as a scatter list of 32 pages, one DMA address per segment.
            DmaDevice nvme = dma.AttachDevice(id: 2, dmaMask: ulong.MaxValue, coherentMask: ulong.MaxValue, pci32BitWorkaround: false);
            ScatterSegment[] pages = Enumerable.Range(0, 32).Select(i => new ScatterSegment(0x8000_0000UL + (ulong)i * 0x3000, 4096)).ToArray();
            addresses = new ulong[pages.Length];
            cpu.MapScatterList(nvme, segmentBoundaryMask: 0xffff_ffff, pages, addresses);
            cpu.UnmapScatterList(addresses, pages);

            dma.FireFlushTimer();                    // the timer fires: one IOTLB flush, the queued IOVAs are freed
        }
        // ---- README: DMA layer (end) ----

        // The PCI device's first map goes below 4 GiB (its 32-bit workaround), keeping the offset in the page.
        Assert.Equal(0xffff_f042UL, packet);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => addresses[0] + (ulong)i * 4096), addresses);
        Assert.True(addresses[0] > uint.MaxValue);

        // `fastiova replay`, `fastiova stats`, `fastiova map` on the recorded run.
        var replay = CliRunner.Invoke("replay", path);
        Assert.True(replay.ExitCode == 0, replay.Output + replay.Error);
        Assert.Contains(" 0 mismatches", replay.Output, StringComparison.Ordinal);
        var stats = CliRunner.Invoke("stats", path);
        Assert.True(stats.ExitCode == 0, stats.Error);
        Assert.Contains("lazy (per-CPU flush queues", stats.Output, StringComparison.Ordinal);
        var map = CliRunner.Invoke("map", path, "--svg", Path.Combine(_folder, "nic-nvme.svg"));
        Assert.True(map.ExitCode == 0, map.Error);
    }
}
