using System.Globalization;

namespace FastIova.Trace;

/// <summary>The result of one trace operation, formatted the way the recorded traces spell it.</summary>
/// <param name="Kind">The shape of the result.</param>
/// <param name="First">The pfn, <c>pfn_lo</c> or count; 0 for <c>ok</c>/<c>none</c>/<c>fail</c>.</param>
/// <param name="Second"><c>pfn_hi</c> of a range; 0 otherwise.</param>
public readonly record struct TraceResult(TraceResultKind Kind, ulong First = 0, ulong Second = 0) : ISpanFormattable
{
    /// <summary>The longest formatted result: two 20-digit numbers and a space.</summary>
    public const int MaxFormattedLength = 41;

    /// <summary><c>ok</c>.</summary>
    public static TraceResult Ok => new(TraceResultKind.Ok);

    /// <summary><c>none</c>.</summary>
    public static TraceResult None => new(TraceResultKind.None);

    /// <summary><c>fail</c>.</summary>
    public static TraceResult Fail => new(TraceResultKind.Fail);

    /// <summary>A pfn.</summary>
    /// <param name="pfn">The allocated pfn.</param>
    public static TraceResult Pfn(ulong pfn) => new(TraceResultKind.Pfn, pfn);

    /// <summary>A range, <c>pfn_lo pfn_hi</c>.</summary>
    /// <param name="range">The range.</param>
    public static TraceResult Range(IovaRange range) => new(TraceResultKind.Range, range.PfnLo, range.PfnHi);

    /// <summary>A count.</summary>
    /// <param name="count">The number of ranges.</param>
    public static TraceResult Count(long count) => new(TraceResultKind.Count, (ulong)count);

    /// <summary>Writes the result as a trace spells it (<c>ok</c>, <c>none</c>, <c>fail</c>, <c>123</c>, <c>12 34</c>).</summary>
    /// <param name="destination">Where to write; <see cref="MaxFormattedLength"/> characters always suffice.</param>
    /// <param name="charsWritten">How many characters were written.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        switch (Kind)
        {
            case TraceResultKind.Ok: return TryCopy("ok", destination, out charsWritten);
            case TraceResultKind.None: return TryCopy("none", destination, out charsWritten);
            case TraceResultKind.Fail: return TryCopy("fail", destination, out charsWritten);
            case TraceResultKind.Range:
                if (First.TryFormat(destination, out int lo, default, CultureInfo.InvariantCulture)
                    && lo < destination.Length
                    && Second.TryFormat(destination[(lo + 1)..], out int hi, default, CultureInfo.InvariantCulture))
                {
                    destination[lo] = ' ';
                    charsWritten = lo + 1 + hi;
                    return true;
                }

                charsWritten = 0;
                return false;
            default:
                return First.TryFormat(destination, out charsWritten, default, CultureInfo.InvariantCulture);
        }
    }

    /// <inheritdoc />
    bool ISpanFormattable.TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormat(destination, out charsWritten);

    /// <inheritdoc />
    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>The result as a trace spells it.</summary>
    public override string ToString()
    {
        Span<char> buffer = stackalloc char[MaxFormattedLength];
        TryFormat(buffer, out int written);
        return new string(buffer[..written]);
    }

    private static bool TryCopy(string text, Span<char> destination, out int charsWritten)
    {
        bool fits = text.AsSpan().TryCopyTo(destination);
        charsWritten = fits ? text.Length : 0;
        return fits;
    }
}
