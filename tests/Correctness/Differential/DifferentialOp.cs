using System.Globalization;

namespace FastIova.Tests.Correctness.Differential;

/// <summary>The operations the differential tests drive.</summary>
internal enum DifferentialOpKind
{
    Alloc,
    AllocThrowing,
    Free,
    Find,
    Reserve,
    Count,
    CompareRanges,
}

/// <summary>
/// One concrete operation with its arguments fixed, so a failing stream can be replayed and shrunk without the
/// generator. <see cref="ToString"/> writes it in trace syntax (TRACE-FORMAT.md) so a shrunk sequence reads as a trace.
/// </summary>
internal readonly record struct DifferentialOp(DifferentialOpKind Kind, ulong A = 0, ulong B = 0, bool Aligned = false)
{
    public static DifferentialOp Alloc(ulong size, ulong limitPfn, bool aligned) => new(DifferentialOpKind.Alloc, size, limitPfn, aligned);

    public static DifferentialOp AllocThrowing(ulong size, ulong limitPfn, bool aligned) => new(DifferentialOpKind.AllocThrowing, size, limitPfn, aligned);

    public static DifferentialOp Free(ulong pfn) => new(DifferentialOpKind.Free, pfn);

    public static DifferentialOp Find(ulong pfn) => new(DifferentialOpKind.Find, pfn);

    public static DifferentialOp Reserve(ulong pfnLo, ulong pfnHi) => new(DifferentialOpKind.Reserve, pfnLo, pfnHi);

    public static DifferentialOp Count() => new(DifferentialOpKind.Count);

    public static DifferentialOp CompareRanges() => new(DifferentialOpKind.CompareRanges);

    public override string ToString() => Kind switch
    {
        DifferentialOpKind.Alloc => Invariant($"alloc {A} {B} {(Aligned ? 1 : 0)}"),
        DifferentialOpKind.AllocThrowing => Invariant($"alloc {A} {B} {(Aligned ? 1 : 0)}   # via Allocate()"),
        DifferentialOpKind.Free => Invariant($"free {A}"),
        DifferentialOpKind.Find => Invariant($"find {A}"),
        DifferentialOpKind.Reserve => Invariant($"reserve {A} {B}"),
        DifferentialOpKind.Count => "count",
        _ => "# compare GetRanges()",
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
