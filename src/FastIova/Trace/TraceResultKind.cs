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
}
