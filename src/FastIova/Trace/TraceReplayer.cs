namespace FastIova.Trace;

/// <summary>
/// Executes trace operations against an <see cref="IovaDomain"/> and compares each result with the recorded one.
/// The domain of a <c>domain</c> line gets <c>ncpus</c> simulated CPUs and no background trimming, so that a replay is
/// deterministic; the fast ops run on the simulated CPU chosen by the last <c>cpu</c> line. A <c>dma_domain</c> line
/// starts a <see cref="Dma.DmaDomain"/> with a simulated flush timer (<c>TRACE-FORMAT-DMA.md</c>); the IOVA ops then act on
/// its IOVA domain, and the DMA ops run on the current CPU too.
/// </summary>
public sealed partial class TraceReplayer : IDisposable
{
    private readonly int _maxRecordedMismatches;
    private IovaDomain? _domain;
    private SimulatedCpu? _cpu;

    /// <summary>Creates a replayer.</summary>
    /// <param name="maxRecordedMismatches">How many mismatches a <see cref="TraceReplayResult"/> keeps in full (all are counted).</param>
    public TraceReplayer(int maxRecordedMismatches = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRecordedMismatches);
        _maxRecordedMismatches = maxRecordedMismatches;
    }

    /// <summary>The domain of the last <c>domain</c> line, or null before the first.</summary>
    public IovaDomain? Domain => _domain;

    /// <summary>Replays a trace file (<c>.trace</c> or <c>.trace.gz</c>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxRecordedMismatches">How many mismatches the result keeps in full.</param>
    /// <exception cref="TraceFormatException">A line is malformed.</exception>
    public static TraceReplayResult ReplayFile(string path, int maxRecordedMismatches = 100)
    {
        using var reader = TraceReader.Open(path);
        using var replayer = new TraceReplayer(maxRecordedMismatches);
        return replayer.Replay(reader);
    }

    /// <summary>Replays every remaining operation of <paramref name="reader"/>, comparing results where recorded.</summary>
    /// <param name="reader">The trace.</param>
    /// <exception cref="TraceFormatException">A line is malformed.</exception>
    public TraceReplayResult Replay(TraceReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        long operations = 0;
        long mismatchCount = 0;
        var mismatches = new List<TraceMismatch>();
        Span<char> actualText = stackalloc char[TraceResult.MaxFormattedLength];
        while (reader.TryRead(out var operation))
        {
            operations++;
            TraceResult actual;
            try
            {
                actual = Execute(operation, reader.SourceName);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // The format allowed the line, so a domain that rejects it does not conform; keep replaying.
                mismatchCount++;
                Record(mismatches, operation, $"error: {e.GetType().Name}: {e.Message}");
                continue;
            }

            if (!operation.HasExpectedResult)
            {
                continue;
            }

            actual.TryFormat(actualText, out int written);
            if (!actualText[..written].SequenceEqual(operation.ExpectedResult.Span))
            {
                mismatchCount++;
                Record(mismatches, operation, actualText[..written].ToString());
            }
        }

        return new TraceReplayResult(reader.SourceName, operations, mismatchCount, mismatches);
    }

    /// <summary>Executes one operation and returns its result, without comparing it with the recorded one.</summary>
    /// <param name="operation">A validated operation (from <see cref="TraceReader"/> or <see cref="TraceOperation.Create"/>).</param>
    /// <param name="sourceName">The trace's name for error messages, or null.</param>
    /// <exception cref="TraceFormatException"><c>free_fast</c> names a pfn that does not start a live range, or an op comes before any <c>domain</c>.</exception>
    public TraceResult Execute(in TraceOperation operation, string? sourceName = null)
    {
        if (operation.OpCode == TraceOpCode.Domain)
        {
            StartDomain(operation);
            return TraceResult.Ok;
        }

        if (operation.OpCode == TraceOpCode.DmaDomain)
        {
            StartDmaDomain(operation);
            return TraceResult.Ok;
        }

        var domain = _domain ?? throw new TraceFormatException(operation.LineNumber, "op before the first 'domain'", sourceName);
        if (TraceSyntax.NeedsDmaDomain(operation.OpCode))
        {
            var dma = _dma ?? throw new TraceFormatException(operation.LineNumber, $"'{TraceSyntax.NameOf(operation.OpCode)}' needs a 'dma_domain'", sourceName);
            return ExecuteDma(dma, operation);
        }

        switch (operation.OpCode)
        {
            case TraceOpCode.Alloc:
                return domain.TryAllocate(operation[0], operation[1], operation[2] != 0, out var range)
                    ? TraceResult.Pfn(range.PfnLo)
                    : TraceResult.Fail;
            case TraceOpCode.Free:
                return domain.Free(operation[0]) ? TraceResult.Ok : TraceResult.None;
            case TraceOpCode.Find:
                return domain.Find(operation[0]) is { } found ? TraceResult.Range(found) : TraceResult.None;
            case TraceOpCode.Reserve:
                // reserve_iova fails only for a pfn beyond the address space of the granule.
                return domain.TryReserve(operation[0], operation[1], out var reserved)
                    ? TraceResult.Range(reserved)
                    : TraceResult.Fail;
            case TraceOpCode.Cpu:
                _cpu = domain.Cpu((int)operation[0]);
                return TraceResult.Ok;
            case TraceOpCode.AllocFast:
                return CurrentCpu(domain).TryAllocateFast(operation[0], operation[1], operation[2] != 0, out ulong pfn)
                    ? TraceResult.Pfn(pfn)
                    : TraceResult.Fail;
            case TraceOpCode.FreeFast:
                if (domain.Find(operation[0]) is not { } live || live.PfnLo != operation[0])
                {
                    throw new TraceFormatException(operation.LineNumber, $"free_fast pfn {operation[0]} does not start a live range", sourceName);
                }

                CurrentCpu(domain).FreeFast(operation[0], operation[1]);
                return TraceResult.Ok;
            case TraceOpCode.FlushCpu:
                // CPUs at or above ncpus are offline in the recording: their caches were never used, so are empty.
                if (operation[0] < (ulong)domain.CpuCount)
                {
                    domain.Cpu((int)operation[0]).Flush();
                }

                return TraceResult.Ok;
            case TraceOpCode.FlushGlobal:
                domain.FlushDepot();
                return TraceResult.Ok;
            case TraceOpCode.DepotTrim:
                domain.TrimDepot();
                return TraceResult.Ok;
            case TraceOpCode.Count:
                return TraceResult.Count(domain.Count);
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.OpCode, "Unknown trace op.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _dma?.Dispose();
        _domain?.Dispose();
        _dma = null;
        _domain = null;
        _cpu = null;
    }

    private void StartDomain(in TraceOperation operation)
    {
        // put_iova_domain first: nothing carries over from the previous domain.
        Dispose();
        var options = new IovaDomainOptions
        {
            CpuCount = operation.ArgumentCount > 2 ? (int)operation[2] : 64,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        };
        _domain = new IovaDomain(operation[0], operation[1], options);
    }

    private SimulatedCpu CurrentCpu(IovaDomain domain) => _cpu ??= domain.Cpu(0);

    private void Record(List<TraceMismatch> mismatches, in TraceOperation operation, string actual)
    {
        if (mismatches.Count < _maxRecordedMismatches)
        {
            mismatches.Add(new TraceMismatch(operation.LineNumber, operation.Text.ToString(), operation.ExpectedResult.ToString(), actual));
        }
    }
}
