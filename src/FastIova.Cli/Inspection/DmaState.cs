using FastIova.Dma;

namespace FastIova.Cli.Inspection;

/// <summary>A DMA domain's flush queues and counters at one point of a trace, for <see cref="SpaceSnapshot.Dma"/>.</summary>
internal sealed class DmaState
{
    /// <summary>The domain's unmap mode.</summary>
    public required DmaUnmapMode Mode { get; init; }

    /// <summary>Entries waiting in the flush queues, as the domain counts them (<c>fq_pending</c>).</summary>
    public required int PendingUnmaps { get; init; }

    /// <summary>IOTLB flush-alls of the flush queues (<c>iotlb_flushes</c>).</summary>
    public required long IotlbFlushes { get; init; }

    /// <summary>Whether the flush timer is armed.</summary>
    public required bool TimerArmed { get; init; }

    /// <summary>What the trace's DMA ops did.</summary>
    public required DmaActivity Activity { get; init; }
}
