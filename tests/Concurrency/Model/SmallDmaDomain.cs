using FastIova.Dma;

namespace FastIova.Tests.Concurrency.Model;

/// <summary>
/// DMA domains small enough for Coyote: a 1 MiB aperture, flush queues of 4 slots (3 usable: a few unmaps fill one and
/// flush), the real timer's rules without its timer (the scenario fires it, as the timer would, through
/// <see cref="DmaDomain.FireFlushTimer"/>), and no trim timer.
/// </summary>
internal static class SmallDmaDomain
{
    /// <summary>4 KiB pages.</summary>
    public const ulong Granule = 4096;

    /// <summary>Slots per flush queue.</summary>
    public const int QueueSlots = 4;

    /// <summary>Creates a domain.</summary>
    /// <param name="mode">The unmap mode.</param>
    /// <param name="iommu">The IOMMU model.</param>
    /// <param name="apertureStart">The lowest DMA address.</param>
    /// <param name="apertureEnd">The highest DMA address.</param>
    public static DmaDomain Create(DmaUnmapMode mode, IIommuModel? iommu, ulong apertureStart = 0, ulong apertureEnd = (1 << 20) - 1) =>
        new(
            new DmaDomainOptions
            {
                UnmapMode = mode,
                CpuCount = 2,
                ApertureStart = apertureStart,
                ApertureEnd = apertureEnd,
                Iommu = iommu,
                DepotTrimInterval = Timeout.InfiniteTimeSpan,

                // A scenario's few ranges never fill two magazines of 127, so a spare would never be used: the caches
                // stay the kernel's (Flush.SparesRacingOwners explores the spare).
                SpareMagazines = false,
            },
            timerPeriod: Timeout.InfiniteTimeSpan,
            queueSlots: QueueSlots);
}
