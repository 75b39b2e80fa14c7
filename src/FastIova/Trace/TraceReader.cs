using System.Globalization;
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

    // The current DMA domain's shape, for checking the DMA ops' arguments; null after a plain 'domain' line.
    private DmaShape? _dma;

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

    /// <summary>
    /// Opens a trace file, plain (<c>.trace</c>) or gzip-compressed (<c>.trace.gz</c>, recognised by its magic bytes). A
    /// compressed file whose data ends early or fails its checksum is reported as malformed when the reading gets there.
    /// </summary>
    /// <param name="path">The file.</param>
    public static TraceReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Open(File.OpenRead(path), path);
    }

    /// <summary>
    /// Reads a trace from a seekable stream, plain or gzip-compressed (recognised by its magic bytes); the reader owns
    /// the stream. Lets a caller wrap the file, for example to follow how far the reading has got.
    /// </summary>
    /// <param name="stream">A readable, seekable stream positioned at the start of the trace.</param>
    /// <param name="sourceName">A name for messages (usually the file path), or null.</param>
    /// <exception cref="ArgumentException">The stream cannot seek.</exception>
    public static TraceReader Open(Stream stream, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            if (!stream.CanSeek)
            {
                throw new ArgumentException("The stream must be seekable (the gzip check reads its first two bytes).", nameof(stream));
            }

            long start = stream.Position;
            Span<byte> magic = stackalloc byte[2];
            int read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            stream.Position = start;
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                stream = new CheckedGZipStream(stream);
            }

            return new TraceReader(new StreamReader(stream), sourceName, ownsReader: true);
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
        while (ReadLine() is { } line)
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

    // A compressed trace that is cut short or corrupt is an error of the file, reported after its last good line.
    private string? ReadLine()
    {
        try
        {
            return _reader.ReadLine();
        }
        catch (InvalidDataException e)
        {
            throw new TraceFormatException(LineNumber, $"unreadable after this line: {e.Message}", SourceName);
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
        Span<ulong> arguments = stackalloc ulong[TraceSyntax.MaxArguments];
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
                    arguments[fieldCount - 1] = opCode == TraceOpCode.DmaDomain && fieldCount == 5 ? ParseMode(token) : ParseNumber(token);
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
        if (opCode is not (TraceOpCode.Domain or TraceOpCode.DmaDomain) && !_domainSeen)
        {
            throw Malformed($"'{TraceSyntax.NameOf(opCode)}' before the first 'domain'");
        }

        if (TraceSyntax.NeedsDmaDomain(opCode) && _dma is null)
        {
            throw Malformed($"'{TraceSyntax.NameOf(opCode)}' needs a 'dma_domain', not a plain 'domain'");
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
                _dma = null;
                break;
            case TraceOpCode.DmaDomain:
                ValidateDmaDomain(a);
                break;
            case TraceOpCode.DmaReserve:
                if (a[1] == 0 || a[1] - 1 > ulong.MaxValue - a[0])
                {
                    throw Malformed($"reserved region at {a[0]} of {a[1]} bytes is empty or ends beyond 2^64");
                }

                break;
            case TraceOpCode.Device:
                ValidateDevice(a);
                break;
            case TraceOpCode.Map:
            case TraceOpCode.MapNoMem:
                RequireDevice(a[0]);
                RequireMapSize(a[2]);
                if (a[2] - 1 > ulong.MaxValue - a[1])
                {
                    throw Malformed($"phys {a[1]} + size {a[2]} is beyond 2^64");
                }

                break;
            case TraceOpCode.MapCoherent:
                RequireDevice(a[0]);
                RequireMapSize(a[1]);
                break;
            case TraceOpCode.MapScatterList:
                ValidateScatterList(a);
                break;
            case TraceOpCode.Unmap:
                if (a[1] == 0)
                {
                    throw Malformed("unmap size 0");
                }

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

    private void ValidateDmaDomain(ReadOnlySpan<ulong> a)
    {
        if (a[0] < TraceSyntax.MinDmaGranule || a[0] > TraceSyntax.MaxGranule || !BitOperations.IsPow2(a[0]))
        {
            throw Malformed($"granule {a[0]} is not a power of two from {TraceSyntax.MinDmaGranule} to {TraceSyntax.MaxGranule}");
        }

        if (a[1] > a[2])
        {
            throw Malformed($"aperture_start {a[1]} is above aperture_end {a[2]}");
        }

        if (a[3] < 1 || a[3] > TraceSyntax.RecordedCpuCount)
        {
            throw Malformed($"ncpus {a[3]} is not in 1..{TraceSyntax.RecordedCpuCount}");
        }

        _domainSeen = true;
        _cpuCount = (int)a[3];
        _dma = new DmaShape(BitOperations.Log2(a[0]), a[2]);
    }

    private void ValidateDevice(ReadOnlySpan<ulong> a)
    {
        if (a[0] > TraceSyntax.MaxDeviceId)
        {
            throw Malformed($"device id {a[0]} is not in 0..{TraceSyntax.MaxDeviceId}");
        }

        RequireMask(a[1], "dma_mask");
        RequireMask(a[2], "coherent_mask");
        RequireFlag(a[3], "workaround");
        _dma!.Devices.Add(a[0]);
    }

    // A mask capped at the aperture must leave 32 granules (below that alloc_iova_fast may hand out a cached pfn above
    // the limit) and keep its pfn below the format's 2^56.
    private void RequireMask(ulong mask, string name)
    {
        DmaShape dma = _dma!;
        ulong limit = Math.Min(mask, dma.ApertureEnd);
        if (limit < (32UL << dma.Shift) - 1 || limit >> dma.Shift >= TraceSyntax.PfnLimitExclusive)
        {
            throw Malformed($"{name} {mask} capped at the aperture leaves fewer than 32 granules or reaches pfn 2^56");
        }
    }

    private void RequireDevice(ulong id)
    {
        if (!_dma!.Devices.Contains(id))
        {
            throw Malformed($"device {id} was not declared");
        }
    }

    private void RequireMapSize(ulong size)
    {
        if (size < 1 || size >= TraceSyntax.MaxSize << _dma!.Shift)
        {
            throw Malformed($"size {size} is not in 1..2^48 granules");
        }
    }

    private void ValidateScatterList(ReadOnlySpan<ulong> a)
    {
        RequireDevice(a[0]);
        ulong boundary = a[1];
        if (boundary != ulong.MaxValue && (!BitOperations.IsPow2(boundary + 1) || boundary + 1 < 1UL << _dma!.Shift))
        {
            throw Malformed($"boundary_mask {boundary} is not 2^k - 1 with 2^k at least the granule");
        }

        if (a[2] < 1 || a[2] > TraceSyntax.MaxScatterSegments)
        {
            throw Malformed($"segment count {a[2]} is not in 1..{TraceSyntax.MaxScatterSegments}");
        }

        if ((ulong)a.Length != 3 + 2 * a[2])
        {
            throw Malformed($"'map_sg' with {a[2]} segments takes {3 + 2 * a[2]} arguments, got {a.Length}");
        }

        for (int i = 3; i < a.Length; i += 2)
        {
            if (a[i] >= TraceSyntax.MaxSegmentOffset)
            {
                throw Malformed($"segment offset {a[i]} is not below 2^20");
            }

            if (a[i + 1] < 1 || a[i + 1] > TraceSyntax.MaxSegmentLength)
            {
                throw Malformed($"segment length {a[i + 1]} is not in 1..2^30");
            }
        }
    }

    private ulong ParseMode(ReadOnlySpan<char> token) =>
        TraceSyntax.TryParseMode(token, out var mode) ? (ulong)mode : throw Malformed($"unknown mode '{token}' (strict, lazy or lazy-single)");

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

    /// <summary>What the DMA ops' checks need of the current <c>dma_domain</c>.</summary>
    private sealed record DmaShape(int Shift, ulong ApertureEnd)
    {
        public HashSet<ulong> Devices { get; } = [];
    }
}
