namespace FastIova.Trace;

/// <summary>The operations of the trace format (see <c>TRACE-FORMAT.md</c>), one per kernel entry point.</summary>
public enum TraceOpCode
{
    /// <summary><c>domain granule start_pfn [ncpus]</c>: starts a fresh domain (<c>init_iova_domain</c>).</summary>
    Domain,

    /// <summary><c>alloc size limit_pfn aligned</c>: <c>alloc_iova</c>.</summary>
    Alloc,

    /// <summary><c>free pfn</c>: <c>free_iova</c> of the range containing the pfn.</summary>
    Free,

    /// <summary><c>find pfn</c>: <c>find_iova</c>.</summary>
    Find,

    /// <summary><c>reserve pfn_lo pfn_hi</c>: <c>reserve_iova</c>.</summary>
    Reserve,

    /// <summary><c>cpu n</c>: selects the simulated CPU used by the fast ops.</summary>
    Cpu,

    /// <summary><c>alloc_fast size limit_pfn flush</c>: <c>alloc_iova_fast</c> on the current CPU.</summary>
    AllocFast,

    /// <summary><c>free_fast pfn size</c>: <c>free_iova_fast</c> on the current CPU.</summary>
    FreeFast,

    /// <summary><c>flush_cpu n</c>: <c>free_cpu_cached_iovas(n)</c>.</summary>
    FlushCpu,

    /// <summary><c>flush_global</c>: <c>free_global_cached_iovas</c>.</summary>
    FlushGlobal,

    /// <summary><c>depot_trim</c>: one run of the depot trim work.</summary>
    DepotTrim,

    /// <summary><c>count</c>: the number of ranges in the tree, anchor excluded.</summary>
    Count,
}
