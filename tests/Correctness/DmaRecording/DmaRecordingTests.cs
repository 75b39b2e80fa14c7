using FastIova.Tests.Correctness.Dma;
using FastIova.Dma;
using FastIova.Tests.Correctness.Cli;
using FastIova.Trace;
using Xunit;

namespace FastIova.Tests.Correctness.DmaRecording;

/// <summary>
/// A DMA domain recorded with <see cref="DmaDomainOptions.Recorder"/> writes the DMA ops of TRACE-FORMAT-DMA.md, and the
/// trace replays with every result equal, in the library and in <c>fastiova replay</c>.
/// </summary>
public sealed class DmaRecordingTests : IDisposable
{
    private const ulong Mask64 = ulong.MaxValue;
    private const ulong Mask32 = 0xffff_ffff;
    private readonly string _folder = Directory.CreateTempSubdirectory("fastiova-dma-recording-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void EveryOp_InEveryMode_ReplaysWithoutMismatch()
    {
        string trace = Record(EveryOp);

        var result = Replay(trace);

        Assert.True(result.Operations > 1500, $"only {result.Operations} ops recorded");
        Assert.True(result.Conforms, string.Join(Environment.NewLine, result.Mismatches));
        string[] expectedLines =
        [
            "dma_domain 4096 0x0 0xffffffffffff 4 strict => ok",
            "dma_domain 4096 0x0 0xffffffffff 2 lazy => ok",
            "dma_domain 512 0x0 0xffffffffffff 2 lazy-single => ok",
            "dma_domain 4096 0xffff0000 0xffffffffffff 1 strict => ok",
            "dma_reserve 0xfee00000 0x100000 => 1043968 1044223",
            "device 1 0xffffffffffffffff 0xffffffff 1 => ok",
            "map 1 0x1234a 1500 => 4294964042",
            "map_nomem 2 0x5000 8192 => fail",
            "map_sg 2 0xffff 3 0 40960 100 30000 0 8192 => 281474976579584 281474976645220 281474976677888",
            "fq_timeout => idle",
            "fq_timeout => ok",
            "fq_pending => 0",
            "iotlb_flushes => 1",
            "cpu 1 => ok",
            "count => ",
            "alloc_fast 3 1048575 1 => ",
            "free_fast ",
            "flush_cpu 0 => ok",
            "flush_global => ok",
            // The flip of the worked example: below 4 GiB is full, device 1 goes to 48 bits.
            "map 1 0x50000 16384 => 281474976694272",
            // A refused coherent map that flipped its device: its IOVA ops, then the device without the workaround.
            "device 5 0xffffffffffffffff 0xffffffffffffffff 0 => ok",
        ];
        foreach (string line in expectedLines)
            Assert.Contains("\n" + line, trace, StringComparison.Ordinal);

        // The IOVA ops a map or unmap performs are no lines of their own: only those called on Iova (or kept for a
        // refused coherent or scatter-list map, after their comment) appear.
        // Called on Iova: one alloc_fast, one free_fast. Kept for the refused coherent map (alloc_fast, free_fast), the
        // refused scatter list (the same) and device 5's refused coherent map (the failed 32-bit try, alloc_fast, free_fast).
        Assert.Equal(2 + 2 + 2 + 3, CountLines(trace, "alloc_fast ") + CountLines(trace, "free_fast "));
        Assert.Equal(3, CountLines(trace, "# map_coherent of device") + CountLines(trace, "# map_sg of device"));
    }

    [Fact]
    public void EveryOp_ReplaysWithoutMismatch_InTheReplayCommand()
    {
        string path = Path.Combine(_folder, "every-op.trace");
        File.WriteAllText(path, Record(EveryOp));

        var (exitCode, output, error) = CliRunner.Invoke("replay", path);

        Assert.Equal(0, exitCode);
        Assert.Contains(" 0 mismatches", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public void ScatterListOf128LongSegments_IsWrittenOnOneLine()
    {
        // 259 arguments and 128 addresses of 15 digits: a line of about 4,100 characters (more than the stack buffer).
        string trace = Record(recorder =>
        {
            using var dma = NewDomain(recorder, DmaUnmapMode.Strict, cpuCount: 1);
            var device = dma.AttachDevice(1, Mask64, Mask64, pci32BitWorkaround: false);
            var segments = Enumerable.Range(0, 128).Select(i => new ScatterSegment(0x1000_0000UL * (ulong)i + 0xfff, 1UL << 30)).ToArray();
            var addresses = new ulong[128];
            dma.Cpu(0).MapScatterList(device, ulong.MaxValue, segments, addresses);
            dma.Cpu(0).UnmapScatterList(addresses, segments);
        });

        string line = trace.Split('\n').Single(l => l.StartsWith("map_sg ", StringComparison.Ordinal));
        Assert.True(line.Length > 4000, $"line of {line.Length} characters");
        Assert.Equal(1 + 259 + 1 + 128, line.Split(' ').Length);
        Assert.True(Replay(trace).Conforms);
    }

    [Fact]
    public void ConcurrentCpus_AndIovaOps_RecordATraceThatReplaysExactly()
    {
        string trace = Record(recorder =>
        {
            // A small aperture, so that the threads' maps fail, flush caches and flip the workaround.
            using var dma = new DmaDomain(Options(recorder, DmaUnmapMode.LazySingleQueue, cpuCount: 4, apertureStart: 0xfff0_0000, apertureEnd: 0x1_0000_ffff));
            var device = dma.AttachDevice(1, Mask64, Mask32, pci32BitWorkaround: true);
            var threads = Enumerable.Range(0, 4).Select(index => new Thread(() =>
            {
                var random = new Random(index);
                var cpu = dma.Cpu(index);
                var live = new List<(ulong Address, ulong Size)>();
                for (int i = 0; i < 600; i++)
                {
                    if (live.Count > 0 && random.Next(2) == 0)
                    {
                        int at = random.Next(live.Count);
                        cpu.Unmap(live[at].Address, live[at].Size);
                        live.RemoveAt(at);
                    }
                    else
                    {
                        ulong size = (ulong)random.Next(1, 20000);
                        if (cpu.TryMap(device, (ulong)random.Next(0, 1 << 20), size, out ulong address))
                            live.Add((address, size));
                    }

                    if (i % 97 == 0)
                        dma.FireFlushTimer();
                    if (index == 0 && i % 13 == 0 && dma.Iova.Cpu(0).TryAllocateFast(1, dma.Iova.Dma32Pfn - 1, false, out ulong pfn))
                        dma.Iova.Cpu(0).FreeFast(pfn, 1);
                }

                foreach (var (address, size) in live)
                    cpu.Unmap(address, size);
            })).ToArray();

            foreach (var thread in threads)
                thread.Start();
            foreach (var thread in threads)
                thread.Join();
            _ = dma.PendingUnmaps;
        });

        var result = Replay(trace);

        Assert.True(result.Operations > 4 * 600, $"only {result.Operations} ops recorded");
        Assert.True(result.Conforms, string.Join(Environment.NewLine, result.Mismatches));
    }

    [Theory]
    [InlineData(65, 4096, true, -1, "CPUs")]
    [InlineData(4, 8192, true, -1, "granule")]
    [InlineData(4, 4096, false, -1, "SimulatedTimer")]
    [InlineData(4, 4096, true, 100, "DepotTrimInterval")]
    public void Recorder_RefusesDomainsTheFormatCannotDescribe(int cpuCount, ulong granule, bool simulatedTimer, int trimMilliseconds, string named)
    {
        var text = new StringWriter();
        using var recorder = new TraceRecorder(text);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DmaDomain(new DmaDomainOptions
        {
            CpuCount = cpuCount,
            Granule = granule,
            SimulatedTimer = simulatedTimer,
            DepotTrimInterval = trimMilliseconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(trimMilliseconds),
            Recorder = recorder,
        }));

        Assert.Equal("options", error.ParamName);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, text.ToString());
    }

    [Fact]
    public void Recorder_RefusesOpsTheFormatCannotDescribe_AndRecordsNothing()
    {
        var text = new StringWriter();
        using var recorder = new TraceRecorder(text);
        using var dma = NewDomain(recorder, DmaUnmapMode.Lazy, cpuCount: 1);
        var device = dma.AttachDevice(1, Mask64, Mask64, pci32BitWorkaround: false);
        int length = text.ToString().Length;
        var cpu = dma.Cpu(0);

        var tooMany = Enumerable.Range(0, 129).Select(i => new ScatterSegment((ulong)i << 20, 4096)).ToArray();
        Assert.Equal("segments", Assert.Throws<ArgumentException>(() => cpu.TryMapScatterList(device, Mask64, tooMany, new ulong[129])).ParamName);
        ScatterSegment[] tooLong = [new(0, (1UL << 30) + 1)];
        Assert.Equal("segments", Assert.Throws<ArgumentException>(() => cpu.TryMapScatterList(device, Mask64, tooLong, new ulong[1])).ParamName);
        Assert.Equal("size", Assert.Throws<ArgumentOutOfRangeException>(() => cpu.TryMap(device, 0, 1UL << 60, out _)).ParamName);
        Assert.Throws<InvalidOperationException>(dma.FlushUnmapQueues);

        Assert.Equal(length, text.ToString().Length);
        Assert.Equal(0, dma.Iova.GetStatistics().LiveRanges);
    }

    /// <summary>Every op in strict, lazy and lazy-single domains, the worked flip, and refused maps of each kind.</summary>
    private static void EveryOp(TraceRecorder recorder)
    {
        // Strict, 4 CPUs: reserves, devices, every map kind, unmaps on several CPUs, IOVA ops on Iova.
        using (var dma = NewDomain(recorder, DmaUnmapMode.Strict, cpuCount: 4))
        {
            dma.Reserve(0xfee0_0000, 0x10_0000);
            dma.Reserve(0, 0x10_0000);
            var nic = dma.AttachDevice(1, Mask64, Mask32, pci32BitWorkaround: true);
            var disk = dma.AttachDevice(2, Mask64, Mask64, pci32BitWorkaround: false);
            var cpu0 = dma.Cpu(0);
            Assert.Equal(4294964042UL, cpu0.Map(nic, 0x1234a, 1500));
            ulong coherent = cpu0.MapCoherent(nic, 0x8000, 8192);
            ScatterSegment[] segments = [new(0, 40960), new(100, 30000), new(0, 8192)];
            var addresses = new ulong[3];
            cpu0.MapScatterList(disk, 0xffff, segments, addresses);
            _ = dma.Iova.Count;
            _ = dma.Iova.Find(addresses[0] >> 12);
            Assert.True(dma.Iova.Cpu(0).TryAllocateFast(3, dma.Iova.Dma32Pfn - 1, true, out ulong pfn));
            dma.Cpu(1).Unmap(coherent, 8192);
            dma.Iova.Cpu(0).FreeFast(pfn, 3);
            dma.Cpu(2).UnmapScatterList(addresses, segments);
            Assert.True(dma.Iova.TryAllocate(5, 1000, true, out var range));
            dma.Iova.Free(range.PfnLo);
            dma.Iova.Cpu(0).Flush();
            dma.Iova.FlushDepot();
            Assert.False(dma.FireFlushTimer());
            Assert.Equal(0, dma.PendingUnmaps);
            Assert.Equal(0, dma.IotlbFlushes);
            cpu0.Unmap(4294964042, 1500);
        }

        // Strict with an IOMMU model that refuses some page-table maps: map_nomem, and a refused coherent map.
        var iommu = new RefusingIommu();
        using (var dma = NewDomain(recorder, DmaUnmapMode.Strict, cpuCount: 1, iommu))
        {
            var device = dma.AttachDevice(2, Mask64, Mask64, pci32BitWorkaround: false);
            var cpu = dma.Cpu(0);
            iommu.RefuseNext = true;
            Assert.False(cpu.TryMap(device, 0x5000, 8192, out _));
            ulong address = cpu.Map(device, 0x5000, 8192);
            iommu.RefuseNext = true;
            Assert.False(cpu.TryMapCoherent(device, 0x6000, 4096, out _));
            iommu.RefuseNext = true;
            Assert.False(cpu.TryMapScatterList(device, Mask64, [new(0, 4096), new(0, 8192)], new ulong[2]));
            cpu.Unmap(address, 8192);
            Assert.True(cpu.TryMap(device, 0x5000, 8192, out _));
        }

        // Lazy, 2 CPUs: enough unmaps on CPU 0 to fill its ring (a flush on a full queue), then the timer.
        using (var dma = new DmaDomain(Options(recorder, DmaUnmapMode.Lazy, cpuCount: 2, apertureEnd: 0xff_ffff_ffff)))
        {
            var device = dma.AttachDevice(1, 0xff_ffff_ffff, Mask32, pci32BitWorkaround: false);
            for (int round = 0; round < 350; round++)
            {
                var cpu = dma.Cpu(round % 7 == 0 ? 1 : 0);
                ulong address = cpu.Map(device, (ulong)round << 12, 4096);
                cpu.Unmap(address, 4096);
            }

            _ = dma.PendingUnmaps;
            _ = dma.IotlbFlushes;
            Assert.True(dma.FireFlushTimer());
            Assert.False(dma.FireFlushTimer());
            Assert.Equal(0, dma.PendingUnmaps);
            _ = dma.Cpu(1).MapCoherent(device, 0, 100);
        }

        // Lazy, one shared queue, 512-byte granule.
        using (var dma = new DmaDomain(Options(recorder, DmaUnmapMode.LazySingleQueue, cpuCount: 2, granule: 512)))
        {
            var device = dma.AttachDevice(3, Mask64, Mask64, pci32BitWorkaround: false);
            var live = new List<ulong>();
            for (int i = 0; i < 600; i++)
            {
                var cpu = dma.Cpu(i % 2);
                live.Add(cpu.Map(device, (ulong)i * 700, 16384));
                if (live.Count > 3)
                {
                    cpu.Unmap(live[0], 16384);
                    live.RemoveAt(0);
                }
            }

            Assert.True(dma.FireFlushTimer());
            Assert.Equal(1, dma.IotlbFlushes);
            Assert.Equal(0, dma.PendingUnmaps);
        }

        // The worked example's flip: 16 pages below 4 GiB, then device 1 is flipped for good. Device 5's refused
        // coherent map flips it too, which the trace says with a device line.
        var refusing = new RefusingIommu();
        using (var dma = new DmaDomain(Options(recorder, DmaUnmapMode.Strict, cpuCount: 1, refusing, apertureStart: 0xffff_0000)))
        {
            var pci = dma.AttachDevice(1, Mask64, Mask32, pci32BitWorkaround: true);
            var other = dma.AttachDevice(5, Mask64, Mask64, pci32BitWorkaround: true);
            var cpu = dma.Cpu(0);
            for (ulong i = 1; i <= 5; i++)
                cpu.Map(pci, i << 16, 16384);
            Assert.False(pci.Uses32BitWorkaround);
            refusing.RefuseNext = true;
            Assert.False(cpu.TryMapCoherent(other, 0, 4096, out _));
            Assert.False(other.Uses32BitWorkaround);
            cpu.Map(other, 0x9000, 4096);
        }
    }

    private static DmaDomain NewDomain(TraceRecorder recorder, DmaUnmapMode mode, int cpuCount, IIommuModel? iommu = null) =>
        new(Options(recorder, mode, cpuCount, iommu));

    private static DmaDomainOptions Options(
        TraceRecorder recorder,
        DmaUnmapMode mode,
        int cpuCount,
        IIommuModel? iommu = null,
        ulong granule = 4096,
        ulong apertureStart = 0,
        ulong apertureEnd = (1UL << 48) - 1) => new()
    {
        Granule = granule,
        ApertureStart = apertureStart,
        ApertureEnd = apertureEnd,
        UnmapMode = mode,
        CpuCount = cpuCount,
        SimulatedTimer = true,
        DepotTrimInterval = Timeout.InfiniteTimeSpan,
        Iommu = iommu,
        Recorder = recorder,
    };

    private static string Record(Action<TraceRecorder> run)
    {
        var text = new StringWriter();
        using (var recorder = new TraceRecorder(text))
        {
            recorder.Comment("recorded by DmaRecordingTests");
            run(recorder);
        }

        return text.ToString().ReplaceLineEndings("\n");
    }

    private static TraceReplayResult Replay(string trace)
    {
        using var reader = new TraceReader(new StringReader(trace), "recorded");
        using var replayer = new TraceReplayer();
        return replayer.Replay(reader);
    }

    private static int CountLines(string trace, string prefix) =>
        trace.Split('\n').Count(line => line.StartsWith(prefix, StringComparison.Ordinal));
}
