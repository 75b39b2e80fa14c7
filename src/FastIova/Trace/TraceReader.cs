using System.Globalization;
using System.IO.Compression;
using System.Numerics;

namespace FastIova.Trace;

/// <summary>
/// Reads the operations of a trace (<c>TRACE-FORMAT.md</c>) one line at a time, skipping comments and blank lines and
/// rejecting any malformed line with a <see cref="TraceFormatException"/> that names it. Checks that need a domain
/// (that <c>free_fast</c> names the start of a live range) are left to <see cref="TraceReplayer"/>.
/// </summary>
public sealed class TraceReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly bool _ownsReader;
    private bool _domainSeen;
    private int _cpuCount = TraceSyntax.RecordedCpuCount;

    /// <summary>Reads a trace from a text reader.</summary>
    /// <param name="reader">The trace text.</param>
    /// <param name="sourceName">A name for messages (usually the file path), or null.</param>
    /// <param name="ownsReader">Whether <see cref="Dispose"/> disposes <paramref name="reader"/>.</param>
    public TraceReader(TextReader reader, string? sourceName = null, bool ownsReader = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
        _ownsReader = ownsReader;
        SourceName = sourceName;
    }

    /// <summary>Opens a trace file, plain (<c>.trace</c>) or gzip-compressed (<c>.trace.gz</c>, recognised by its magic bytes).</summary>
    /// <param name="path">The file.</param>
    public static TraceReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Stream stream = File.OpenRead(path);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            stream.Position = 0;
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                stream = new GZipStream(stream, CompressionMode.Decompress);
            }

            return new TraceReader(new StreamReader(stream), path, ownsReader: true);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The name used in messages (usually the file path), or null.</summary>
    public string? SourceName { get; }

    /// <summary>The number of the last line read (1-based; comments and blank lines count).</summary>
    public int LineNumber { get; private set; }

    /// <summary>Reads the next operation, skipping comments and blank lines.</summary>
    /// <param name="operation">The operation, when one was read.</param>
    /// <returns>False at the end of the trace.</returns>
    /// <exception cref="TraceFormatException">The next operation line is malformed.</exception>
    public bool TryRead(out TraceOperation operation)
    {
        while (_reader.ReadLine() is { } line)
        {
            LineNumber++;
            if (TryParse(line, out operation))
            {
                return true;
            }
        }

        operation = default;
        return false;
    }

    /// <summary>Reads every remaining operation.</summary>
    /// <exception cref="TraceFormatException">A line is malformed (thrown when the enumeration reaches it).</exception>
    public IEnumerable<TraceOperation> ReadAll()
    {
        while (TryRead(out var operation))
        {
            yield return operation;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsReader)
        {
            _reader.Dispose();
        }
    }

    private bool TryParse(string line, out TraceOperation operation)
    {
        operation = default;
        ReadOnlySpan<char> span = line;
        ReadOnlySpan<char> content = span.TrimStart();
        if (content.IsEmpty || content[0] == '#')
        {
            return false;
        }

        int separator = span.IndexOf(TraceSyntax.ResultSeparator, StringComparison.Ordinal);
        int textLength = (separator < 0 ? span : span[..separator]).TrimEnd().Length;
        var expected = ReadOnlyMemory<char>.Empty;
        if (separator >= 0)
        {
            expected = line.AsMemory(separator + TraceSyntax.ResultSeparator.Length).Trim();
            if (expected.IsEmpty)
            {
                throw Malformed("no result after '=>'");
            }
        }

        ReadOnlySpan<char> text = span[..textLength];
        Span<ulong> arguments = stackalloc ulong[3];
        int fieldCount = 0;
        TraceOpCode opCode = default;
        foreach (Range field in text.SplitAny(" \t"))
        {
            ReadOnlySpan<char> token = text[field];
            if (token.IsEmpty)
            {
                continue;
            }

            if (fieldCount == 0)
            {
                if (!TraceSyntax.TryParseName(token, out opCode))
                {
                    throw Malformed($"unknown op '{token}'");
                }
            }
            else
            {
                // Extra arguments are only counted: the count is the error reported for them.
                if (fieldCount <= arguments.Length)
                {
                    arguments[fieldCount - 1] = ParseNumber(token);
                }
            }

            fieldCount++;
        }

        if (fieldCount == 0)
        {
            throw Malformed("missing op before '=>'");
        }

        int argumentCount = fieldCount - 1;
        var (min, max) = TraceSyntax.ArgumentCountOf(opCode);
        if (argumentCount < min || argumentCount > max)
        {
            throw WrongArgumentCount(opCode, argumentCount);
        }

        arguments = arguments[..argumentCount];
        Validate(opCode, arguments);
        operation = new TraceOperation(LineNumber, opCode, arguments, line.AsMemory(0, textLength), expected);
        return true;
    }

    private void Validate(TraceOpCode opCode, ReadOnlySpan<ulong> a)
    {
        if (opCode != TraceOpCode.Domain && !_domainSeen)
        {
            throw Malformed($"'{TraceSyntax.NameOf(opCode)}' before the first 'domain'");
        }

        switch (opCode)
        {
            case TraceOpCode.Domain:
                if (a[0] == 0 || !BitOperations.IsPow2(a[0]) || a[0] > TraceSyntax.MaxGranule)
                {
                    throw Malformed($"granule {a[0]} is not a power of two no larger than {TraceSyntax.MaxGranule}");
                }

                RequirePfn(a[1], "start_pfn");
                int cpuCount = TraceSyntax.RecordedCpuCount;
                if (a.Length == 3)
                {
                    if (a[2] < 1 || a[2] > TraceSyntax.RecordedCpuCount)
                    {
                        throw Malformed($"ncpus {a[2]} is not in 1..{TraceSyntax.RecordedCpuCount}");
                    }

                    cpuCount = (int)a[2];
                }

                _domainSeen = true;
                _cpuCount = cpuCount;
                break;
            case TraceOpCode.Alloc:
                RequireSize(a[0]);
                RequirePfn(a[1], "limit_pfn");
                RequireFlag(a[2], "aligned");
                break;
            case TraceOpCode.AllocFast:
                RequireSize(a[0]);
                RequirePfn(a[1], "limit_pfn");
                RequireFlag(a[2], "flush");
                ulong rounded = TraceSyntax.RoundFastSize(a[0]);
                if (a[1] + 1 < rounded)
                {
                    // The kernel's unsigned arithmetic would then accept any cached pfn, even one above the limit.
                    throw Malformed($"limit_pfn {a[1]} + 1 is below the rounded size {rounded}");
                }

                break;
            case TraceOpCode.Free:
            case TraceOpCode.Find:
                RequirePfn(a[0], "pfn");
                break;
            case TraceOpCode.FreeFast:
                RequirePfn(a[0], "pfn");
                RequireSize(a[1]);
                break;
            case TraceOpCode.Reserve:
                RequirePfn(a[0], "pfn_lo");
                RequirePfn(a[1], "pfn_hi");
                if (a[0] > a[1])
                {
                    throw Malformed($"pfn_lo {a[0]} is above pfn_hi {a[1]}");
                }

                break;
            case TraceOpCode.Cpu:
                if (a[0] >= (ulong)_cpuCount)
                {
                    throw Malformed($"cpu {a[0]} is not below ncpus {_cpuCount}");
                }

                break;
            case TraceOpCode.FlushCpu:
                if (a[0] >= TraceSyntax.RecordedCpuCount)
                {
                    throw Malformed($"flush_cpu {a[0]} is not in 0..{TraceSyntax.RecordedCpuCount - 1}");
                }

                break;
        }
    }

    private void RequirePfn(ulong value, string name)
    {
        if (value >= TraceSyntax.PfnLimitExclusive)
        {
            throw Malformed($"{name} {value} is not below 2^56");
        }
    }

    private void RequireSize(ulong value)
    {
        if (value < 1 || value > TraceSyntax.MaxSize)
        {
            throw Malformed($"size {value} is not in 1..2^48");
        }
    }

    private void RequireFlag(ulong value, string name)
    {
        if (value > 1)
        {
            throw Malformed($"{name} {value} is not 0 or 1");
        }
    }

    private ulong ParseNumber(ReadOnlySpan<char> token)
    {
        bool hex = token.Length > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X');
        bool parsed = hex
            ? ulong.TryParse(token[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return parsed ? value : throw Malformed($"bad number '{token}'");
    }

    private TraceFormatException WrongArgumentCount(TraceOpCode opCode, int given)
    {
        var (min, max) = TraceSyntax.ArgumentCountOf(opCode);
        string expected = min == max ? $"{min}" : $"{min} or {max}";
        return Malformed($"'{TraceSyntax.NameOf(opCode)}' takes {expected} argument(s), got {given}");
    }

    private TraceFormatException Malformed(string reason) => new(LineNumber, reason, SourceName);
}
