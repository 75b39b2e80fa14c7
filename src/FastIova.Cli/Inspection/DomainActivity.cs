namespace FastIova.Cli.Inspection;

/// <summary>What the replayed operations of one domain asked for and got, beyond the domain's own counters.</summary>
internal sealed class DomainActivity
{
    /// <summary>The trace line of the <c>domain</c> op.</summary>
    public int DomainLine { get; init; }

    /// <summary>The 1-based number of the <c>domain</c> op among the trace's operations.</summary>
    public long FirstOperation { get; init; }

    /// <summary>Operations replayed on this domain, its <c>domain</c> line included.</summary>
    public long Operations { get; set; }

    /// <summary>Results that differed from the recorded ones.</summary>
    public long Mismatches { get; set; }

    /// <summary>The highest <c>limit_pfn</c> any allocation asked for: the top of the window the device can use.</summary>
    public ulong HighestLimit { get; set; }

    /// <summary>Whether any allocation has been asked for.</summary>
    public bool AnyAllocation { get; set; }

    /// <summary><c>alloc</c> ops that failed.</summary>
    public long AllocFailures { get; set; }

    /// <summary><c>alloc_fast ... 1</c> ops that failed even after flushing every cache and retrying.</summary>
    public long FastFailuresAfterFlush { get; set; }

    /// <summary><c>alloc_fast ... 0</c> ops that failed without flushing the caches (free space may sit in them).</summary>
    public long FastFailuresCacheOnly { get; set; }

    /// <summary><c>reserve</c> ops that failed (a pfn beyond the granule's 64-bit byte addresses).</summary>
    public long ReserveFailures { get; set; }
}
