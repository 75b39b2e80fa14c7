namespace FastIova;

/// <summary>An inclusive range of page frame numbers, <c>[PfnLo, PfnHi]</c>, as the kernel's <c>struct iova</c>.</summary>
/// <param name="PfnLo">The first pfn of the range.</param>
/// <param name="PfnHi">The last pfn of the range (inclusive).</param>
public readonly record struct IovaRange(ulong PfnLo, ulong PfnHi)
{
    /// <summary>The number of pfns in the range.</summary>
    public ulong Size => PfnHi - PfnLo + 1;

    /// <summary>Whether <paramref name="pfn"/> lies inside the range.</summary>
    /// <param name="pfn">A page frame number.</param>
    public bool Contains(ulong pfn) => pfn >= PfnLo && pfn <= PfnHi;

    /// <inheritdoc />
    public override string ToString() => $"[{PfnLo}, {PfnHi}]";
}
