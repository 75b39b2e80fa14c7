using FastIova.Dma;

namespace FastIova.Trace;

// The DMA ops of TRACE-FORMAT-DMA.md.
public sealed partial class TraceReplayer
{
    private readonly ReplayIommu _iommu = new();
    private DmaDomain? _dma;

    /// <summary>The DMA domain of the last <c>dma_domain</c> line, or null (before one, or after a plain <c>domain</c>).</summary>
    public DmaDomain? DmaDomain => _dma;

    private void StartDmaDomain(in TraceOperation operation)
    {
        Dispose();
        _dma = new DmaDomain(new DmaDomainOptions
        {
            Granule = operation[0],
            ApertureStart = operation[1],
            ApertureEnd = operation[2],
            CpuCount = (int)operation[3],
            UnmapMode = (DmaUnmapMode)operation[4],
            SimulatedTimer = true,
            Iommu = _iommu,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
        _domain = _dma.Iova;
    }

    private TraceResult ExecuteDma(DmaDomain dma, in TraceOperation operation)
    {
        DmaCpu cpu = dma.Cpu(_cpu?.Index ?? 0);
        switch (operation.OpCode)
        {
            case TraceOpCode.DmaReserve:
                return TraceResult.Range(dma.Reserve(operation[0], operation[1]));
            case TraceOpCode.Device:
                dma.AttachDevice((int)operation[0], operation[1], operation[2], operation[3] != 0);
                return TraceResult.Ok;
            case TraceOpCode.Map:
                return cpu.TryMap(dma.Device((int)operation[0]), operation[1], operation[2], out ulong address)
                    ? TraceResult.Address(address)
                    : TraceResult.Fail;
            case TraceOpCode.MapCoherent:
                return cpu.TryMapCoherent(dma.Device((int)operation[0]), 0, operation[1], out ulong coherent)
                    ? TraceResult.Address(coherent)
                    : TraceResult.Fail;
            case TraceOpCode.MapNoMem:
                // The page-table update fails: the IOMMU model refuses this one map.
                _iommu.RefuseNextMap = true;
                try
                {
                    cpu.TryMap(dma.Device((int)operation[0]), operation[1], operation[2], out _);
                }
                finally
                {
                    _iommu.RefuseNextMap = false;
                }

                return TraceResult.Fail;
            case TraceOpCode.MapScatterList:
                return MapScatterList(dma, cpu, operation);
            case TraceOpCode.Unmap:
                cpu.Unmap(operation[0], operation[1]);
                return TraceResult.Ok;
            case TraceOpCode.FlushQueueTimeout:
                return dma.FireFlushTimer() ? TraceResult.Ok : TraceResult.Idle;
            case TraceOpCode.FlushQueuePending:
                return TraceResult.Count(dma.PendingUnmaps);
            case TraceOpCode.IotlbFlushes:
                return TraceResult.Count(dma.IotlbFlushes);
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.OpCode, "Unknown trace op.");
        }
    }

    private static TraceResult MapScatterList(DmaDomain dma, DmaCpu cpu, in TraceOperation operation)
    {
        int count = (int)operation[2];
        var segments = new ScatterSegment[count];
        for (int i = 0; i < count; i++)
        {
            // The format gives each segment's offset in its page; only its offset within the granule matters.
            segments[i] = new ScatterSegment(operation[3 + 2 * i], operation[4 + 2 * i]);
        }

        var addresses = new ulong[count];
        return cpu.TryMapScatterList(dma.Device((int)operation[0]), operation[1], segments, addresses)
            ? TraceResult.AddressList(addresses)
            : TraceResult.Fail;
    }

    /// <summary>The replay's IOMMU: every page-table map succeeds but the one a <c>map_nomem</c> line fails.</summary>
    private sealed class ReplayIommu : IIommuModel
    {
        public bool RefuseNextMap { get; set; }

        public bool TryMap(DmaDevice device, ulong iova, ulong physical, ulong size)
        {
            bool refuse = RefuseNextMap;
            RefuseNextMap = false;
            return !refuse;
        }
    }
}
