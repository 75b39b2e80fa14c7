namespace FastIova.Trace;

/// <summary>The spelling and argument limits of the trace format, kept in one place for the reader and the writer.</summary>
internal static class TraceSyntax
{
    /// <summary>Pfns and limits must stay below 2^56 (the format's bound, above every granule's highest pfn but 512's).</summary>
    public const ulong PfnLimitExclusive = 1UL << 56;

    /// <summary>Sizes are 1..2^48 pfns.</summary>
    public const ulong MaxSize = 1UL << 48;

    /// <summary>The largest granule: the x86-64 page size.</summary>
    public const ulong MaxGranule = 4096;

    /// <summary>CPUs the recording kernel had (<c>NR_CPUS</c>); <c>ncpus</c> defaults to it and <c>flush_cpu</c> may name any of them.</summary>
    public const int RecordedCpuCount = 64;

    /// <summary>Fast sizes below this are rounded up to a power of two (the kernel's <c>alloc_iova_fast</c>).</summary>
    public const ulong FastRoundingLimit = 32;

    /// <summary>The smallest granule of a <c>dma_domain</c>.</summary>
    public const ulong MinDmaGranule = 512;

    /// <summary>The highest device id.</summary>
    public const ulong MaxDeviceId = 4095;

    /// <summary>A scatter-list segment's offset in its page is below this (2^20).</summary>
    public const ulong MaxSegmentOffset = 1UL << 20;

    /// <summary>A scatter-list segment's longest length (2^30 bytes).</summary>
    public const ulong MaxSegmentLength = 1UL << 30;

    /// <summary>Segments a <c>map_sg</c> line may list.</summary>
    public const int MaxScatterSegments = 128;

    /// <summary>The most arguments any op takes: <c>map_sg</c>'s device, boundary mask, count and two per segment.</summary>
    public const int MaxArguments = 3 + 2 * MaxScatterSegments;

    /// <summary>Separates the op text from the recorded result.</summary>
    public const string ResultSeparator = "=>";

    /// <summary>The op's name as written in a trace.</summary>
    public static string NameOf(TraceOpCode op) => op switch
    {
        TraceOpCode.Domain => "domain",
        TraceOpCode.Alloc => "alloc",
        TraceOpCode.Free => "free",
        TraceOpCode.Find => "find",
        TraceOpCode.Reserve => "reserve",
        TraceOpCode.Cpu => "cpu",
        TraceOpCode.AllocFast => "alloc_fast",
        TraceOpCode.FreeFast => "free_fast",
        TraceOpCode.FlushCpu => "flush_cpu",
        TraceOpCode.FlushGlobal => "flush_global",
        TraceOpCode.DepotTrim => "depot_trim",
        TraceOpCode.Count => "count",
        TraceOpCode.DmaDomain => "dma_domain",
        TraceOpCode.DmaReserve => "dma_reserve",
        TraceOpCode.Device => "device",
        TraceOpCode.Map => "map",
        TraceOpCode.MapCoherent => "map_coherent",
        TraceOpCode.MapNoMem => "map_nomem",
        TraceOpCode.MapScatterList => "map_sg",
        TraceOpCode.Unmap => "unmap",
        TraceOpCode.FlushQueueTimeout => "fq_timeout",
        TraceOpCode.FlushQueuePending => "fq_pending",
        TraceOpCode.IotlbFlushes => "iotlb_flushes",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown trace op."),
    };

    /// <summary>Looks an op up by name; compares ordinally, as the format is case-sensitive.</summary>
    public static bool TryParseName(ReadOnlySpan<char> name, out TraceOpCode op)
    {
        switch (name)
        {
            case "domain": op = TraceOpCode.Domain; return true;
            case "alloc": op = TraceOpCode.Alloc; return true;
            case "free": op = TraceOpCode.Free; return true;
            case "find": op = TraceOpCode.Find; return true;
            case "reserve": op = TraceOpCode.Reserve; return true;
            case "cpu": op = TraceOpCode.Cpu; return true;
            case "alloc_fast": op = TraceOpCode.AllocFast; return true;
            case "free_fast": op = TraceOpCode.FreeFast; return true;
            case "flush_cpu": op = TraceOpCode.FlushCpu; return true;
            case "flush_global": op = TraceOpCode.FlushGlobal; return true;
            case "depot_trim": op = TraceOpCode.DepotTrim; return true;
            case "count": op = TraceOpCode.Count; return true;
            case "dma_domain": op = TraceOpCode.DmaDomain; return true;
            case "dma_reserve": op = TraceOpCode.DmaReserve; return true;
            case "device": op = TraceOpCode.Device; return true;
            case "map": op = TraceOpCode.Map; return true;
            case "map_coherent": op = TraceOpCode.MapCoherent; return true;
            case "map_nomem": op = TraceOpCode.MapNoMem; return true;
            case "map_sg": op = TraceOpCode.MapScatterList; return true;
            case "unmap": op = TraceOpCode.Unmap; return true;
            case "fq_timeout": op = TraceOpCode.FlushQueueTimeout; return true;
            case "fq_pending": op = TraceOpCode.FlushQueuePending; return true;
            case "iotlb_flushes": op = TraceOpCode.IotlbFlushes; return true;
            default: op = default; return false;
        }
    }

    /// <summary>
    /// The fewest and most arguments an op takes (<c>domain</c> has an optional one; <c>map_sg</c> takes
    /// <c>3 + 2n</c>, which the reader checks against its <c>n</c>).
    /// </summary>
    public static (int Min, int Max) ArgumentCountOf(TraceOpCode op) => op switch
    {
        TraceOpCode.Domain => (2, 3),
        TraceOpCode.DmaDomain => (5, 5),
        TraceOpCode.Device => (4, 4),
        TraceOpCode.MapScatterList => (5, MaxArguments),
        TraceOpCode.Map or TraceOpCode.MapNoMem => (3, 3),
        TraceOpCode.DmaReserve or TraceOpCode.Unmap or TraceOpCode.MapCoherent => (2, 2),
        TraceOpCode.Alloc or TraceOpCode.AllocFast => (3, 3),
        TraceOpCode.Reserve or TraceOpCode.FreeFast => (2, 2),
        TraceOpCode.Free or TraceOpCode.Find or TraceOpCode.Cpu or TraceOpCode.FlushCpu => (1, 1),
        _ => (0, 0),
    };

    /// <summary>Whether the op acts on a DMA domain only (<c>dma_reserve</c> to <c>iotlb_flushes</c>).</summary>
    public static bool NeedsDmaDomain(TraceOpCode op) => op is >= TraceOpCode.DmaReserve and <= TraceOpCode.IotlbFlushes;

    /// <summary>The <c>mode</c> word of a <c>dma_domain</c> line.</summary>
    public static string NameOf(Dma.DmaUnmapMode mode) => mode switch
    {
        Dma.DmaUnmapMode.Strict => "strict",
        Dma.DmaUnmapMode.Lazy => "lazy",
        Dma.DmaUnmapMode.LazySingleQueue => "lazy-single",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown unmap mode."),
    };

    /// <summary>Looks a <c>dma_domain</c> mode word up.</summary>
    public static bool TryParseMode(ReadOnlySpan<char> name, out Dma.DmaUnmapMode mode)
    {
        switch (name)
        {
            case "strict": mode = Dma.DmaUnmapMode.Strict; return true;
            case "lazy": mode = Dma.DmaUnmapMode.Lazy; return true;
            case "lazy-single": mode = Dma.DmaUnmapMode.LazySingleQueue; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>The size <c>alloc_iova_fast</c> really requests: below 32 pfns, the next power of two.</summary>
    public static ulong RoundFastSize(ulong size) =>
        size < FastRoundingLimit ? System.Numerics.BitOperations.RoundUpToPowerOf2(size) : size;
}
