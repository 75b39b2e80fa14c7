using FastIova.Dma;

namespace FastIova.Cli.Inspection;

/// <summary>What the replayed DMA ops of one <c>dma_domain</c> did, beyond what the domain's own counters say.</summary>
internal sealed class DmaActivity
{
    /// <summary>The domain's unmap mode.</summary>
    public required DmaUnmapMode Mode { get; init; }

    /// <summary>Successful <c>map</c>, <c>map_coherent</c> and <c>map_sg</c> ops.</summary>
    public long Maps { get; set; }

    /// <summary><c>unmap</c> ops.</summary>
    public long Unmaps { get; set; }

    /// <summary><c>map</c>, <c>map_coherent</c> and <c>map_sg</c> ops that found no IOVA below the device's mask.</summary>
    public long MapFailures { get; set; }

    /// <summary><c>map_nomem</c> ops: the IOVA was allocated, the page-table map failed, the IOVA was freed at once.</summary>
    public long MapNoMem { get; set; }

    /// <summary>Devices whose 32-bit workaround flag a failed attempt below 4 GiB cleared, in trace order.</summary>
    public List<WorkaroundFlip> Flips { get; } = [];
}

/// <summary>A device whose PCI 32-bit workaround flag was cleared.</summary>
/// <param name="Device">The device id.</param>
/// <param name="Operation">The 1-based op (among the trace's operations) that cleared it.</param>
/// <param name="Line">That op's line in the trace.</param>
internal readonly record struct WorkaroundFlip(int Device, long Operation, int Line);
