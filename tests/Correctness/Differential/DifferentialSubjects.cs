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
        DifferentialOutcome expected = Run(Reference, op);
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

    private string? Compare(string name, IovaDomain domain, DifferentialOp op, DifferentialOutcome expected)
    {
        DifferentialOutcome actual;
        try
        {
            actual = Run(domain, op);
            domain.CheckInvariants();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"{name} threw {e.GetType().Name}: {e.Message}";
        }

        if (!actual.SameAs(expected))
        {
            return $"{name} gave {actual}, reference {expected}";
        }

        int count = domain.Count;
        return count != Reference.Count ? $"{name} Count {count}, reference {Reference.Count}" : null;
    }

    private static DifferentialOutcome Run(ReferenceIovaDomain reference, DifferentialOp op) => op.Kind switch
    {
        DifferentialOpKind.Alloc or DifferentialOpKind.AllocThrowing =>
            reference.Alloc(op.A, op.B, op.Aligned) is ulong pfn ? DifferentialOutcome.Of(new IovaRange(pfn, pfn + op.A - 1)) : DifferentialOutcome.Fail,
        DifferentialOpKind.Free => DifferentialOutcome.Of(reference.Free(op.A)),
        DifferentialOpKind.Find => DifferentialOutcome.Of(reference.Find(op.A)),
        DifferentialOpKind.Reserve => DifferentialOutcome.Of(reference.Reserve(op.A, op.B)),
        DifferentialOpKind.Count => DifferentialOutcome.Of(reference.Count),
        _ => DifferentialOutcome.Of(reference.GetRanges()),
    };

    private static DifferentialOutcome Run(IovaDomain domain, DifferentialOp op)
    {
        switch (op.Kind)
        {
            case DifferentialOpKind.Alloc:
                return domain.TryAllocate(op.A, op.B, op.Aligned, out IovaRange range) ? DifferentialOutcome.Of(range) : DifferentialOutcome.Fail;
            case DifferentialOpKind.AllocThrowing:
                try
                {
                    return DifferentialOutcome.Of(domain.Allocate(op.A, op.B, op.Aligned));
                }
                catch (IovaExhaustedException e) when (e.Size == op.A && e.LimitPfn == op.B)
                {
                    return DifferentialOutcome.Fail;
                }

            case DifferentialOpKind.Free:
                return DifferentialOutcome.Of(domain.Free(op.A));
            case DifferentialOpKind.Find:
                return DifferentialOutcome.Of(domain.Find(op.A));
            case DifferentialOpKind.Reserve:
                return DifferentialOutcome.Of(domain.Reserve(op.A, op.B));
            case DifferentialOpKind.Count:
                return DifferentialOutcome.Of(domain.Count);
            default:
                return DifferentialOutcome.Of(domain.GetRanges());
        }
    }
}
