namespace FastIova;

/// <summary>Thrown by <see cref="IovaDomain.Allocate"/> when no block of the requested size fits under the limit.</summary>
public sealed class IovaExhaustedException : Exception
{
    /// <summary>Creates the exception for a failed request.</summary>
    /// <param name="size">The requested size in pfns.</param>
    /// <param name="limitPfn">The highest pfn the allocation could have used.</param>
    public IovaExhaustedException(ulong size, ulong limitPfn)
        : base($"No free block of {size} pfn(s) at or below pfn {limitPfn}.")
    {
        Size = size;
        LimitPfn = limitPfn;
    }

    /// <summary>The requested size in pfns.</summary>
    public ulong Size { get; }

    /// <summary>The highest pfn the allocation could have used.</summary>
    public ulong LimitPfn { get; }
}
