namespace FastIova.Tests.Correctness.Reference;

/// <summary>
/// One range of the reference model. A class, not a struct: the cached nodes name a range entry, so a reserve that
/// extends a cached range downwards is seen by the next search through the cached reference.
/// </summary>
internal sealed class ReferenceRange
{
    public ReferenceRange(ulong pfnLo, ulong pfnHi)
    {
        PfnLo = pfnLo;
        PfnHi = pfnHi;
    }

    /// <summary>First pfn (inclusive). Reserve may lower it in place.</summary>
    public ulong PfnLo { get; set; }

    /// <summary>Last pfn (inclusive). Never changes once the range exists.</summary>
    public ulong PfnHi { get; }

    public IovaRange ToIovaRange() => new(PfnLo, PfnHi);

    public override string ToString() => $"[{PfnLo}, {PfnHi}]";
}
