using FastIova.Tests.Correctness.Reference;

namespace FastIova.Tests.Correctness.Differential;

/// <summary>
/// The three implementations under comparison: the domain with the augmented search, the domain with the kernel's
/// linear walk, and the reference model. <see cref="Apply"/> runs one op on all three and describes any disagreement.
/// </summary>
internal sealed class DifferentialSubjects : IDisposable
{
    private readonly IovaDomain _augmented;
    private readonly IovaDomain _linear;

    public DifferentialSubjects(DifferentialScenario scenario)
    {
        Reference = new ReferenceIovaDomain(scenario.Granule, scenario.StartPfn);
        _augmented = new IovaDomain(scenario.Granule, scenario.StartPfn, Options(PlacementSearch.Augmented));
        _linear = new IovaDomain(scenario.Granule, scenario.StartPfn, Options(PlacementSearch.LinearWalk));
    }

    public ReferenceIovaDomain Reference { get; }

    /// <summary>Runs <paramref name="op"/> everywhere; null when all agree and both domains pass their invariant check.</summary>
    public string? Apply(DifferentialOp op)
    {
        string expected = Run(Reference, op);
        string? failure = Compare("augmented", _augmented, op, expected);
        return failure ?? Compare("linear walk", _linear, op, expected);
    }

    public void Dispose()
    {
        _augmented.Dispose();
        _linear.Dispose();
    }

    private static IovaDomainOptions Options(PlacementSearch search) => new()
    {
        CpuCount = 1,
        DepotTrimInterval = Timeout.InfiniteTimeSpan,
        Search = search,
    };

    private string? Compare(string name, IovaDomain domain, DifferentialOp op, string expected)
    {
        string actual;
        try
        {
            actual = Run(domain, op);
            domain.CheckInvariants();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"{name} threw {e.GetType().Name}: {e.Message}";
        }

        if (actual != expected)
        {
            return $"{name} gave {actual}, reference {expected}";
        }

        int count = domain.Count;
        return count != Reference.Count ? $"{name} Count {count}, reference {Reference.Count}" : null;
    }

    private static string Run(ReferenceIovaDomain reference, DifferentialOp op) => op.Kind switch
    {
        DifferentialOpKind.Alloc or DifferentialOpKind.AllocThrowing =>
            reference.Alloc(op.A, op.B, op.Aligned) is ulong pfn ? FormatRange(new IovaRange(pfn, pfn + op.A - 1)) : "fail",
        DifferentialOpKind.Free => reference.Free(op.A) ? "ok" : "none",
        DifferentialOpKind.Find => reference.Find(op.A) is IovaRange found ? FormatRange(found) : "none",
        DifferentialOpKind.Reserve => reference.Reserve(op.A, op.B) is IovaRange reserved ? FormatRange(reserved) : "fail",
        DifferentialOpKind.Count => reference.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => string.Join(' ', reference.GetRanges().Select(FormatRange)),
    };

    private static string Run(IovaDomain domain, DifferentialOp op)
    {
        switch (op.Kind)
        {
            case DifferentialOpKind.Alloc:
                return domain.TryAllocate(op.A, op.B, op.Aligned, out IovaRange range) ? FormatRange(range) : "fail";
            case DifferentialOpKind.AllocThrowing:
                try
                {
                    return FormatRange(domain.Allocate(op.A, op.B, op.Aligned));
                }
                catch (IovaExhaustedException e) when (e.Size == op.A && e.LimitPfn == op.B)
                {
                    return "fail";
                }

            case DifferentialOpKind.Free:
                return domain.Free(op.A) ? "ok" : "none";
            case DifferentialOpKind.Find:
                return domain.Find(op.A) is IovaRange found ? FormatRange(found) : "none";
            case DifferentialOpKind.Reserve:
                return FormatRange(domain.Reserve(op.A, op.B));
            case DifferentialOpKind.Count:
                return domain.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            default:
                return string.Join(' ', domain.GetRanges().Select(FormatRange));
        }
    }

    private static string FormatRange(IovaRange range) => $"[{range.PfnLo}, {range.PfnHi}]";
}
