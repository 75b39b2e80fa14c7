using System.Globalization;

namespace FastIova.Trace;

/// <summary>The result of one trace operation, formatted the way the recorded traces spell it.</summary>
/// <param name="Kind">The shape of the result.</param>
/// <param name="First">The pfn, <c>pfn_lo</c>, DMA address or count; 0 for <c>ok</c>/<c>none</c>/<c>fail</c>/<c>idle</c>.</param>
/// <param name="Second"><c>pfn_hi</c> of a range; 0 otherwise.</param>
public readonly record struct TraceResult(TraceResultKind Kind, ulong First = 0, ulong Second = 0) : ISpanFormattable
{
    /// <summary>The longest formatted result: a scatter list's 128 addresses of up to 20 digits, with spaces between them.</summary>
    public const int MaxFormattedLength = TraceSyntax.MaxScatterSegments * 21;

    /// <summary><c>ok</c>.</summary>
    public static TraceResult Ok => new(TraceResultKind.Ok);

    /// <summary><c>none</c>.</summary>
    public static TraceResult None => new(TraceResultKind.None);

    /// <summary><c>fail</c>.</summary>
    public static TraceResult Fail => new(TraceResultKind.Fail);

    /// <summary><c>idle</c>.</summary>
    public static TraceResult Idle => new(TraceResultKind.Idle);

    /// <summary>A pfn.</summary>
    /// <param name="pfn">The allocated pfn.</param>
    public static TraceResult Pfn(ulong pfn) => new(TraceResultKind.Pfn, pfn);

    /// <summary>A range, <c>pfn_lo pfn_hi</c>.</summary>
    /// <param name="range">The range.</param>
    public static TraceResult Range(IovaRange range) => new(TraceResultKind.Range, range.PfnLo, range.PfnHi);

    /// <summary>A DMA address.</summary>
    /// <param name="address">The address handed to the device.</param>
    public static TraceResult Address(ulong address) => new(TraceResultKind.Address, address);

    /// <summary>A scatter list's DMA addresses, one per segment.</summary>
    /// <param name="addresses">The addresses, in segment order (1 to 128 of them); the result refers to them, it does not copy.</param>
    public static TraceResult AddressList(ReadOnlyMemory<ulong> addresses) => new(TraceResultKind.AddressList) { Addresses = addresses };

    /// <summary>The addresses of an <see cref="TraceResultKind.AddressList"/> result; empty otherwise.</summary>
    public ReadOnlyMemory<ulong> Addresses { get; init; }

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
            case TraceResultKind.Idle: return TryCopy("idle", destination, out charsWritten);
            case TraceResultKind.AddressList: return TryFormatList(Addresses.Span, destination, out charsWritten);
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

    private static bool TryFormatList(ReadOnlySpan<ulong> values, Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                if (charsWritten >= destination.Length)
                {
                    return false;
                }

                destination[charsWritten++] = ' ';
            }

            if (!values[i].TryFormat(destination[charsWritten..], out int written, default, CultureInfo.InvariantCulture))
            {
                charsWritten = 0;
                return false;
            }

            charsWritten += written;
        }

        return true;
    }

    private static bool TryCopy(string text, Span<char> destination, out int charsWritten)
    {
        bool fits = text.AsSpan().TryCopyTo(destination);
        charsWritten = fits ? text.Length : 0;
        return fits;
    }
}
