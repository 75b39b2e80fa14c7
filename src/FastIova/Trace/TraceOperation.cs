using System.Globalization;
using System.Text;

namespace FastIova.Trace;

/// <summary>
/// One operation line of a trace: the op, its arguments, the op text exactly as written and the recorded result, if
/// any. A struct over slices of the line so that reading a trace costs one string per line and nothing more.
/// </summary>
public readonly struct TraceOperation
{
    private readonly ulong _argument0;
    private readonly ulong _argument1;
    private readonly ulong _argument2;

    // Every argument, for the one op that takes more than three (map_sg); null otherwise, so other lines cost nothing extra.
    private readonly ulong[]? _many;

    /// <summary>Creates an operation from its parts; <see cref="TraceReader"/> validates them, this constructor does not.</summary>
    /// <param name="lineNumber">The 1-based line number (0 for an operation that did not come from a file).</param>
    /// <param name="opCode">The op.</param>
    /// <param name="arguments">The arguments (more than three only for <c>map_sg</c>).</param>
    /// <param name="text">The op text as written, without the result and without trailing blanks.</param>
    /// <param name="expectedResult">The recorded result, trimmed; empty when the line has none.</param>
    public TraceOperation(int lineNumber, TraceOpCode opCode, ReadOnlySpan<ulong> arguments, ReadOnlyMemory<char> text, ReadOnlyMemory<char> expectedResult)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(arguments.Length, TraceSyntax.MaxArguments, nameof(arguments));
        _many = arguments.Length > 3 ? arguments.ToArray() : null;
        LineNumber = lineNumber;
        OpCode = opCode;
        ArgumentCount = arguments.Length;
        _argument0 = arguments.Length > 0 ? arguments[0] : 0;
        _argument1 = arguments.Length > 1 ? arguments[1] : 0;
        _argument2 = arguments.Length > 2 ? arguments[2] : 0;
        Text = text;
        ExpectedResult = expectedResult;
    }

    /// <summary>
    /// Creates an operation with the canonical text (op name, then decimal arguments, single spaces; a <c>dma_domain</c>'s
    /// mode as its word) and no result, for recording.
    /// </summary>
    /// <param name="opCode">The op.</param>
    /// <param name="arguments">Its arguments, as many as the op takes.</param>
    /// <exception cref="ArgumentException">The argument count does not fit the op.</exception>
    public static TraceOperation Create(TraceOpCode opCode, params ReadOnlySpan<ulong> arguments)
    {
        var (min, max) = TraceSyntax.ArgumentCountOf(opCode);
        if (arguments.Length < min || arguments.Length > max)
        {
            throw new ArgumentException($"'{TraceSyntax.NameOf(opCode)}' takes {min}..{max} arguments, not {arguments.Length}.", nameof(arguments));
        }

        var text = new StringBuilder(TraceSyntax.NameOf(opCode));
        for (int i = 0; i < arguments.Length; i++)
        {
            // dma_domain's last argument is a word; the operation carries it as the DmaUnmapMode's value.
            string argument = opCode == TraceOpCode.DmaDomain && i == 4
                ? TraceSyntax.NameOf((Dma.DmaUnmapMode)arguments[i])
                : arguments[i].ToString(CultureInfo.InvariantCulture);
            text.Append(' ').Append(argument);
        }

        return new TraceOperation(0, opCode, arguments, text.ToString().AsMemory(), ReadOnlyMemory<char>.Empty);
    }

    /// <summary>The 1-based line number in the source (comments and blank lines count); 0 if not read from a file.</summary>
    public int LineNumber { get; }

    /// <summary>The op.</summary>
    public TraceOpCode OpCode { get; }

    /// <summary>How many arguments the line gave.</summary>
    public int ArgumentCount { get; }

    /// <summary>The op text exactly as written (spacing and number spelling kept), trailing blanks removed.</summary>
    public ReadOnlyMemory<char> Text { get; }

    /// <summary>The recorded result after <c>=&gt;</c>, trimmed; empty when the line has none.</summary>
    public ReadOnlyMemory<char> ExpectedResult { get; }

    /// <summary>Whether the line carries a recorded result.</summary>
    public bool HasExpectedResult => !ExpectedResult.IsEmpty;

    /// <summary>The argument at <paramref name="index"/>.</summary>
    /// <param name="index">0..<see cref="ArgumentCount"/>-1.</param>
    public ulong this[int index] => (uint)index < (uint)ArgumentCount
        ? _many?[index] ?? index switch { 0 => _argument0, 1 => _argument1, _ => _argument2 }
        : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The op text.</summary>
    public override string ToString() => Text.ToString();
}
