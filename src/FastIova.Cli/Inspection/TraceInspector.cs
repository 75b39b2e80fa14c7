using FastIova.Trace;

namespace FastIova.Cli.Inspection;

/// <summary>
/// Replays a trace one operation at a time (through <see cref="TraceReplayer"/>, so the answers are the library's) and
/// keeps what the domain's public API does not show: which ranges sit in the range caches, and why allocations failed.
/// </summary>
/// <remarks>
/// The cached set is derived from the tree's range count around each op, so it needs no access to the caches: a
/// <c>free_fast</c> that leaves the count unchanged parked its range in a cache; an <c>alloc_fast</c> that returns a
/// parked pfn took it back out. When the count moves otherwise (a flush, a depot trim, the flush and retry of a failed
/// <c>alloc_fast ... 1</c>), some parked ranges went back to the tree, and each one is looked up again. A lookup is exact
/// because none of those ops allocates except the <c>alloc_fast</c> retry, whose one range is its result. The DMA ops of
/// a <c>dma_domain</c> are followed the same way, and their flush queues too (<c>TraceInspector.Dma.cs</c>).
/// </remarks>
internal sealed partial class TraceInspector : IDisposable
{
    private readonly TraceReplayer _replayer = new(maxRecordedMismatches: 0);
    private readonly Dictionary<ulong, IovaRange> _cached = [];
    private readonly List<SpaceSnapshot> _finished = [];
    private DomainActivity? _activity;

    /// <summary>Operations replayed so far.</summary>
    public long Operations { get; private set; }

    /// <summary>Results that differed from the recorded ones so far, over all domains.</summary>
    public long Mismatches { get; private set; }

    /// <summary>Snapshots of the domains that a later <c>domain</c> line replaced, in trace order.</summary>
    public IReadOnlyList<SpaceSnapshot> FinishedDomains => _finished;

    /// <summary>Whether a domain is being replayed.</summary>
    public bool HasDomain => _replayer.Domain is not null;

    /// <summary>Replays a trace file up to operation <paramref name="stopAfter"/> (all when null).</summary>
    /// <param name="path">The trace.</param>
    /// <param name="stopAfter">The last 1-based operation to replay, or null for all.</param>
    /// <returns>The inspector, positioned after the last replayed operation; the caller disposes it.</returns>
    /// <exception cref="TraceFormatException">A line is malformed.</exception>
    public static TraceInspector Replay(string path, long? stopAfter = null)
    {
        var inspector = new TraceInspector();
        try
        {
            using var reader = TraceReader.Open(path);
            while ((stopAfter is not { } last || inspector.Operations < last) && reader.TryRead(out var operation))
            {
                inspector.Execute(operation, reader.SourceName);
            }

            return inspector;
        }
        catch
        {
            inspector.Dispose();
            throw;
        }
    }

    /// <summary>Every domain of the trace so far: the finished ones, then the current one.</summary>
    public IReadOnlyList<SpaceSnapshot> AllDomains() => HasDomain ? [.. _finished, Snapshot()] : _finished;

    /// <summary>Replays one operation and compares its result with the recorded one.</summary>
    /// <exception cref="TraceFormatException">The op comes before any <c>domain</c>, or a <c>free_fast</c> names no live range.</exception>
    public void Execute(in TraceOperation operation, string? sourceName = null)
    {
        Operations++;
        if (operation.OpCode is TraceOpCode.Domain or TraceOpCode.DmaDomain)
        {
            if (HasDomain)
            {
                _finished.Add(Snapshot());
            }

            _cached.Clear();
            _activity = new DomainActivity { DomainLine = operation.LineNumber, FirstOperation = Operations };
            StartDma(operation);
        }

        TraceResult actual;
        try
        {
            actual = ExecuteTracked(operation, sourceName);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // As TraceReplayer: the format allowed the line, so a domain that rejects it is a mismatch.
            CountMismatch();
            return;
        }
        finally
        {
            if (_activity is not null)
            {
                _activity.Operations++;
            }
        }

        if (operation.HasExpectedResult)
        {
            Span<char> text = stackalloc char[TraceResult.MaxFormattedLength];
            actual.TryFormat(text, out int written);
            if (!text[..written].SequenceEqual(operation.ExpectedResult.Span))
            {
                CountMismatch();
            }
        }
    }

    /// <summary>The current domain's state.</summary>
    /// <exception cref="InvalidOperationException">No <c>domain</c> line has been replayed.</exception>
    public SpaceSnapshot Snapshot()
    {
        var domain = _replayer.Domain ?? throw new InvalidOperationException("No domain yet: the trace has no 'domain' line so far.");
        var cached = _cached.Values.ToArray();
        Array.Sort(cached, (a, b) => a.PfnLo.CompareTo(b.PfnLo));
        return new SpaceSnapshot
        {
            Granule = domain.Granule,
            StartPfn = domain.StartPfn,
            Dma32Pfn = domain.Dma32Pfn,
            CpuCount = domain.CpuCount,
            TraceOperations = Operations,
            Ranges = domain.GetRanges(),
            Cached = cached,
            Queued = QueuedRanges(domain),
            Dma = DmaStateNow(),
            Statistics = domain.GetStatistics(),
            Activity = _activity!,
        };
    }

    /// <inheritdoc />
    public void Dispose() => _replayer.Dispose();

    private void CountMismatch()
    {
        Mismatches++;
        if (_activity is not null)
        {
            _activity.Mismatches++;
        }
    }

    private TraceResult ExecuteTracked(in TraceOperation operation, string? sourceName)
    {
        if (_replayer.Domain is not { } domain || _activity is null)
        {
            // The domain line itself, or an op before any (the replayer names the line).
            return _replayer.Execute(operation, sourceName);
        }

        if (operation.OpCode >= TraceOpCode.DmaReserve && _replayer.DmaDomain is { } dma)
        {
            return ExecuteDma(dma, domain, operation, sourceName);
        }

        switch (operation.OpCode)
        {
            case TraceOpCode.Cpu:
                _currentCpu = (int)operation[0];
                return _replayer.Execute(operation, sourceName);

            case TraceOpCode.Alloc:
            {
                NoteLimit(operation[1]);
                var result = _replayer.Execute(operation, sourceName);
                if (result.Kind == TraceResultKind.Fail)
                {
                    _activity.AllocFailures++;
                }

                return result;
            }

            case TraceOpCode.AllocFast:
            {
                NoteLimit(operation[1]);
                int before = domain.Count;
                var result = _replayer.Execute(operation, sourceName);
                int after = domain.Count;
                bool expected;
                if (result.Kind == TraceResultKind.Pfn)
                {
                    // A hit leaves the count as it was; a miss adds the new range. A flush and retry that returns the
                    // only parked range looks like a hit, and leaves nothing parked either way.
                    bool wasCached = _cached.Remove(result.First);
                    expected = after == (wasCached ? before : before + 1);
                }
                else
                {
                    if (operation[2] == 0)
                    {
                        _activity.FastFailuresCacheOnly++;
                    }
                    else
                    {
                        _activity.FastFailuresAfterFlush++;
                    }

                    expected = after == before;
                }

                if (!expected)
                {
                    RecheckCached(domain);
                }

                return result;
            }

            case TraceOpCode.FreeFast:
                // The replayer rejects a pfn that does not start a live range before freeing anything.
                return FreeFast(domain, domain.Find(operation[0]), operation, sourceName);

            case TraceOpCode.Free:
            {
                // free_iova of a parked range (a caller bug the kernel allows) takes it out of the tree.
                var range = domain.Find(operation[0]);
                var result = _replayer.Execute(operation, sourceName);
                if (result.Kind == TraceResultKind.Ok && range is { } freed)
                {
                    _cached.Remove(freed.PfnLo);
                }

                return result;
            }

            case TraceOpCode.Reserve:
            {
                var result = _replayer.Execute(operation, sourceName);
                if (result.Kind == TraceResultKind.Fail)
                {
                    _activity.ReserveFailures++;
                }
                else if (_cached.Count > 0)
                {
                    // A reserve can extend a parked range downwards in place.
                    RecheckCached(domain);
                }

                return result;
            }

            case TraceOpCode.FlushCpu:
            case TraceOpCode.FlushGlobal:
            case TraceOpCode.DepotTrim:
            {
                int before = domain.Count;
                var result = _replayer.Execute(operation, sourceName);
                if (domain.Count != before)
                {
                    RecheckCached(domain);
                }

                return result;
            }

            default:
                return _replayer.Execute(operation, sourceName);
        }
    }

    /// <summary>Replays a <c>free_fast</c> (or a strict <c>unmap</c>, which is one) of <paramref name="range"/>.</summary>
    private TraceResult FreeFast(IovaDomain domain, IovaRange? range, in TraceOperation operation, string? sourceName)
    {
        int before = domain.Count;
        var result = _replayer.Execute(operation, sourceName);
        int after = domain.Count;
        if (range is { } parked && after != before - 1)
        {
            // Unchanged: parked in a cache. Anything else: parked, and other parked ranges left for the tree.
            _cached[parked.PfnLo] = parked;
            if (after != before)
            {
                RecheckCached(domain);
            }
        }

        return result;
    }

    private void NoteLimit(ulong limitPfn)
    {
        _activity!.HighestLimit = _activity.AnyAllocation ? Math.Max(_activity.HighestLimit, limitPfn) : limitPfn;
        _activity.AnyAllocation = true;
    }

    /// <summary>Drops the parked ranges that are no longer in the tree as they were parked.</summary>
    private void RecheckCached(IovaDomain domain)
    {
        List<ulong>? gone = null;
        foreach (var (pfn, range) in _cached)
        {
            if (domain.Find(pfn) != range)
            {
                (gone ??= []).Add(pfn);
            }
        }

        foreach (ulong pfn in gone ?? [])
        {
            _cached.Remove(pfn);
        }
    }
}
