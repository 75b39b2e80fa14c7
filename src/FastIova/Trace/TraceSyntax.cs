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
            default: op = default; return false;
        }
    }

    /// <summary>The fewest and most arguments an op takes (only <c>domain</c> has an optional one).</summary>
    public static (int Min, int Max) ArgumentCountOf(TraceOpCode op) => op switch
    {
        TraceOpCode.Domain => (2, 3),
        TraceOpCode.Alloc or TraceOpCode.AllocFast => (3, 3),
        TraceOpCode.Reserve or TraceOpCode.FreeFast => (2, 2),
        TraceOpCode.Free or TraceOpCode.Find or TraceOpCode.Cpu or TraceOpCode.FlushCpu => (1, 1),
        _ => (0, 0),
    };

    /// <summary>The size <c>alloc_iova_fast</c> really requests: below 32 pfns, the next power of two.</summary>
    public static ulong RoundFastSize(ulong size) =>
        size < FastRoundingLimit ? System.Numerics.BitOperations.RoundUpToPowerOf2(size) : size;
}
