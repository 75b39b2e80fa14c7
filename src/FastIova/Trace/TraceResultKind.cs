namespace FastIova.Trace;

/// <summary>The shapes a trace result takes.</summary>
public enum TraceResultKind
{
    /// <summary><c>ok</c>.</summary>
    Ok,

    /// <summary><c>none</c>: nothing to free or find.</summary>
    None,

    /// <summary><c>fail</c>: an allocation or reservation failed.</summary>
    Fail,

    /// <summary>A single decimal pfn (allocations).</summary>
    Pfn,

    /// <summary><c>pfn_lo pfn_hi</c> (find, reserve).</summary>
    Range,

    /// <summary>A decimal count (<c>count</c>).</summary>
    Count,

    /// <summary>A single decimal DMA address (<c>map</c>, <c>map_coherent</c>).</summary>
    Address,

    /// <summary>Decimal DMA addresses separated by single spaces, one per segment (<c>map_sg</c>).</summary>
    AddressList,

    /// <summary><c>idle</c>: the flush-queue timer was not armed (<c>fq_timeout</c>).</summary>
    Idle,
}
