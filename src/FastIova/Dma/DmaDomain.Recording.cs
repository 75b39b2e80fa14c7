using System.Buffers;
using FastIova.Trace;

namespace FastIova.Dma;

// Recording (DmaDomainOptions.Recorder): each operation runs and writes its line under the recorder's gate, so the
// trace's order is the order in which operations took effect, the IOVA operations called on Iova included. The IOVA
// operations a map, an unmap or a timer performs are held back: its own line replays them.
public sealed partial class DmaDomain
{
    private IovaDomain CreateIova(ulong startPfn, IovaDomainOptions options)
    {
        if (_recorder is null)
            return new IovaDomain(Granule, startPfn, options);
        lock (_recorder.Gate)
        {
            // The IOVA domain's own 'domain' line is held back: the dma_domain line creates it on replay.
            IovaDomain iova;
            _recorder.Hold();
            try
            {
                iova = new IovaDomain(Granule, startPfn, options);
            }
            finally
            {
                _recorder.Release();
            }

            _recorder.DmaDomain(Granule, ApertureStart, ApertureEnd, _options.CpuCount, UnmapMode);
            return iova;
        }
    }

    /// <summary>
    /// The simulated CPU a recorded operation runs on, selected in the trace (a <c>cpu</c> line when it changes). Under
    /// the gate. A simulated CPU runs on itself; any other mapper (a per-thread or per-worker handle) runs on the
    /// simulated CPU of the processor the thread is on, its caches and flush queue, as <see cref="IovaDomain"/>'s
    /// recording does for its per-thread path: the trace format has no thread caches.
    /// </summary>
    private DmaCpu RecordingCpu(DmaMapper via)
    {
        DmaCpu cpu = via as DmaCpu ?? _cpus[Thread.GetCurrentProcessorId() % _cpus.Length];
        _recorder!.SelectCpu(cpu.Index);
        return cpu;
    }

    private bool RecordMap(DmaMapper via, DmaDevice device, ulong physical, ulong size, out ulong dmaAddress)
    {
        RequireRecordableSize(size);
        lock (_recorder!.Gate)
        {
            DmaCpu cpu = RecordingCpu(via);
            bool mapped, refused;
            StartWatchingRefusals();
            _recorder.Hold();
            try
            {
                mapped = TryMapCore(cpu, device, physical, size, out dmaAddress);
                refused = WasRefused();
            }
            finally
            {
                _recorder.Release();
            }

            // A page-table map the IOMMU model refused after the IOVA was allocated is the format's map_nomem; a map
            // that found no IOVA is a map that failed.
            _recorder.Write(refused ? TraceOpCode.MapNoMem : TraceOpCode.Map, mapped ? TraceResult.Address(dmaAddress) : TraceResult.Fail, hexArguments: 0b10, [(ulong)device.Id, physical, size]);
            return mapped;
        }
    }

    private bool RecordMapCoherent(DmaMapper via, DmaDevice device, ulong physical, ulong size, out ulong dmaAddress)
    {
        RequireOwnDevice(device);
        RequireRecordableSize(size);
        var map = new CoherentMap(device, physical, size);
        bool mapped = RecordRefusableMap(via, device, ref map);
        dmaAddress = map.DmaAddress;
        return mapped;
    }

    private bool RecordMapScatterList(DmaMapper via, DmaDevice device, ulong boundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses)
    {
        RequireOwnDevice(device);
        if (segments.Length > TraceSyntax.MaxScatterSegments)
            throw new ArgumentException($"A recorded scatter list has at most {TraceSyntax.MaxScatterSegments} segments (the trace format's limit), not {segments.Length}.", nameof(segments));
        foreach (ScatterSegment segment in segments)
        {
            if (segment.Length > TraceSyntax.MaxSegmentLength)
                throw new ArgumentException($"A recorded segment is at most {TraceSyntax.MaxSegmentLength} bytes (the trace format's limit), not {segment.Length}.", nameof(segments));
        }

        var map = new ScatterListMap(device, boundaryMask, segments, dmaAddresses);
        return RecordRefusableMap(via, device, ref map);
    }

    /// <summary>
    /// A coherent or scatter-list map under the gate: its IOVA operations are held back and kept only if the IOMMU
    /// model refused a page-table map (see <see cref="RecordFlip"/>); otherwise its own line replays them.
    /// </summary>
    private bool RecordRefusableMap<TMap>(DmaMapper via, DmaDevice device, scoped ref TMap map)
        where TMap : IRecordedMap, allows ref struct
    {
        lock (_recorder!.Gate)
        {
            DmaCpu cpu = RecordingCpu(via);
            bool workaround = device.Uses32BitWorkaround;
            bool mapped, refused = false;
            StartWatchingRefusals();
            _recorder.Hold(mayKeep: true);
            try
            {
                mapped = map.Map(this, cpu);
                refused = WasRefused();
            }
            finally
            {
                _recorder.Release(keep: refused, refused ? $"{map.Describe()} {RefusedNote}" : null);
            }

            if (refused)
                RecordFlip(device, workaround);
            else
                map.Write(this, mapped);
            return mapped;
        }
    }

    /// <summary>One recorded map that the IOMMU model may refuse: the map itself, its line, and its name in a note.</summary>
    private interface IRecordedMap
    {
        bool Map(DmaDomain domain, DmaCpu cpu);

        void Write(DmaDomain domain, bool mapped);

        string Describe();
    }

    private ref struct CoherentMap(DmaDevice device, ulong physical, ulong size) : IRecordedMap
    {
        public ulong DmaAddress;

        public bool Map(DmaDomain domain, DmaCpu cpu) => domain.TryMapCoherentCore(cpu, device, physical, size, out DmaAddress);

        public readonly void Write(DmaDomain domain, bool mapped) =>
            domain._recorder!.Write(TraceOpCode.MapCoherent, mapped ? TraceResult.Address(DmaAddress) : TraceResult.Fail, (ulong)device.Id, size);

        public readonly string Describe() => $"map_coherent of device {device.Id} ({size} bytes)";
    }

    private ref struct ScatterListMap(DmaDevice device, ulong boundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses) : IRecordedMap
    {
        private readonly ReadOnlySpan<ScatterSegment> _segments = segments;
        private readonly Span<ulong> _dmaAddresses = dmaAddresses;

        public readonly bool Map(DmaDomain domain, DmaCpu cpu) => domain.TryMapScatterListCore(cpu, device, boundaryMask, _segments, _dmaAddresses);

        public readonly void Write(DmaDomain domain, bool mapped) =>
            domain.WriteScatterList(device, boundaryMask, _segments, mapped ? _dmaAddresses[.._segments.Length] : default, mapped);

        public readonly string Describe() => $"map_sg of device {device.Id} ({_segments.Length} segments)";
    }

    private void RecordUnmap(DmaMapper via, ulong dmaAddress, ulong size)
    {
        lock (_recorder!.Gate)
        {
            DmaCpu cpu = RecordingCpu(via);
            _recorder.Hold();
            try
            {
                UnmapCore(cpu, dmaAddress, size);
            }
            finally
            {
                _recorder.Release();
            }

            _recorder.Write(TraceOpCode.Unmap, TraceResult.Ok, dmaAddress, size);
        }
    }

    private IovaRange RecordReserve(ulong start, ulong length)
    {
        lock (_recorder!.Gate)
        {
            IovaRange range;
            _recorder.Hold();
            try
            {
                range = Iova.Reserve(start >> _shift, (start + length - 1) >> _shift);
            }
            finally
            {
                _recorder.Release();
            }

            _recorder.Write(TraceOpCode.DmaReserve, TraceResult.Range(range), hexArguments: 0b11, [start, length]);
            return range;
        }
    }

    private DmaDevice RecordDevice(int id, ulong dmaMask, ulong coherentMask, bool pci32BitWorkaround)
    {
        lock (_recorder!.Gate)
        {
            DmaDevice device = Declare(id, dmaMask, coherentMask, pci32BitWorkaround);
            _recorder.Write(TraceOpCode.Device, TraceResult.Ok, hexArguments: 0b110, [(ulong)id, dmaMask, coherentMask, pci32BitWorkaround ? 1UL : 0UL]);
            return device;
        }
    }

    private bool RecordFlushTimer()
    {
        lock (_recorder!.Gate)
        {
            bool fired;
            _recorder.Hold();
            try
            {
                fired = _queues?.Timeout() ?? false;
            }
            finally
            {
                _recorder.Release();
            }

            _recorder.Write(TraceOpCode.FlushQueueTimeout, fired ? TraceResult.Ok : TraceResult.Idle);
            return fired;
        }
    }

    private int RecordPendingUnmaps()
    {
        lock (_recorder!.Gate)
        {
            int pending = QueuedUnmaps;
            _recorder.Write(TraceOpCode.FlushQueuePending, TraceResult.Count(pending));
            return pending;
        }
    }

    private long RecordIotlbFlushes()
    {
        lock (_recorder!.Gate)
        {
            long flushes = FlushCount;
            _recorder.Write(TraceOpCode.IotlbFlushes, TraceResult.Count(flushes));
            return flushes;
        }
    }

    // Dispose's frees are not operations of the run: no line, as IovaDomain.Dispose writes none.
    private void CloseQueuesUnrecorded()
    {
        if (_recorder is null)
        {
            _queues!.Close(this);
            return;
        }

        lock (_recorder.Gate)
        {
            _recorder.Hold();
            try
            {
                _queues!.Close(this);
            }
            finally
            {
                _recorder.Release();
            }
        }
    }

    private void RequireRecordableSize(ulong size)
    {
        if (size >= TraceSyntax.MaxSize << _shift)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"A recorded map is below 2^48 granules (the trace format's limit).");
    }

    private void WriteScatterList(DmaDevice device, ulong boundaryMask, ReadOnlySpan<ScatterSegment> segments, ReadOnlySpan<ulong> addresses, bool mapped)
    {
        // map_sg dev boundary_mask n off_1 len_1 ...: each segment's offset in its 4 KiB page (what decides its place).
        ulong[] arguments = ArrayPool<ulong>.Shared.Rent(3 + 2 * segments.Length);
        ulong[] result = ArrayPool<ulong>.Shared.Rent(addresses.Length);
        try
        {
            arguments[0] = (ulong)device.Id;
            arguments[1] = boundaryMask;
            arguments[2] = (ulong)segments.Length;
            for (int i = 0; i < segments.Length; i++)
            {
                arguments[3 + 2 * i] = segments[i].Physical & (TraceSyntax.MaxGranule - 1);
                arguments[4 + 2 * i] = segments[i].Length;
            }

            addresses.CopyTo(result);
            var outcome = mapped ? TraceResult.AddressList(result.AsMemory(0, addresses.Length)) : TraceResult.Fail;
            _recorder!.Write(TraceOpCode.MapScatterList, outcome, hexArguments: 0b10, arguments.AsSpan(0, 3 + 2 * segments.Length));
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(arguments);
            ArrayPool<ulong>.Shared.Return(result);
        }
    }

    // A coherent or scatter-list map that the IOMMU model refused has no line of its own in the format (map_nomem is a
    // streaming map): it is recorded as the IOVA operations it did, and a flag it cleared as the device declared anew
    // without the workaround.
    private void RecordFlip(DmaDevice device, bool workaroundBefore)
    {
        if (workaroundBefore && !device.Uses32BitWorkaround)
            _recorder!.Write(TraceOpCode.Device, TraceResult.Ok, hexArguments: 0b110, [(ulong)device.Id, device.DmaMask, device.CoherentMask, 0UL]);
    }

    private const string RefusedNote = "refused by the IOMMU model: recorded as the IOVA operations it did";

    private void StartWatchingRefusals()
    {
        if (_iommu is RefusalWatch watch)
            watch.Refused = false;
    }

    private bool WasRefused() => _iommu is RefusalWatch { Refused: true };

    /// <summary>While recording: the simulator's IOMMU model, noting whether it refused a page-table map (under the gate).</summary>
    private sealed class RefusalWatch(IIommuModel model) : IIommuModel
    {
        public bool Refused { get; set; }

        public bool TryMap(DmaDevice device, ulong iova, ulong physical, ulong size)
        {
            bool mapped = model.TryMap(device, iova, physical, size);
            Refused |= !mapped;
            return mapped;
        }

        public void Unmap(ulong iova, ulong size) => model.Unmap(iova, size);

        public void SyncIotlb(ulong iova, ulong size) => model.SyncIotlb(iova, size);

        public void FlushIotlbAll() => model.FlushIotlbAll();
    }
}
