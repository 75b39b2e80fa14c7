namespace FastIova.Tests.Correctness.Differential;

/// <summary>
/// The result of one op, compared by value and formatted only when a mismatch is reported (formatting every result
/// would cost more than the ops themselves).
/// </summary>
internal readonly record struct DifferentialOutcome(bool Success, IovaRange Range, long Number, IovaRange[]? Ranges)
{
    public static readonly DifferentialOutcome Fail = new(false, default, 0, null);

    public static DifferentialOutcome Of(IovaRange range) => new(true, range, 0, null);

    public static DifferentialOutcome Of(IovaRange? range) => range is IovaRange r ? Of(r) : Fail;

    public static DifferentialOutcome Of(bool success) => new(success, default, 0, null);

    public static DifferentialOutcome Of(long number) => new(true, default, number, null);

    public static DifferentialOutcome Of(IovaRange[] ranges) => new(true, default, 0, ranges);

    public bool SameAs(DifferentialOutcome other) =>
        Success == other.Success && Range == other.Range && Number == other.Number
        && (Ranges is null ? other.Ranges is null : other.Ranges is not null && Ranges.AsSpan().SequenceEqual(other.Ranges));

    public override string ToString()
    {
        if (Ranges is not null)
        {
            return $"{Ranges.Length} ranges: {string.Join(' ', Ranges)}";
        }

        return !Success ? "fail/none" : Range != default ? Range.ToString() : Number != 0 ? $"{Number}" : "ok";
    }
}
