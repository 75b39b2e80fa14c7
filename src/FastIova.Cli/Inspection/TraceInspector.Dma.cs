using System.Numerics;
using FastIova.Dma;
using FastIova.Trace;

namespace FastIova.Cli.Inspection;

// The DMA ops of a dma_domain: which ranges wait in the flush queues, which went to the range caches, and what the
// maps did. As for the cached set, the queued set is derived from the public API: each queue is a FIFO, an unmap
// appends its range to its CPU's queue (or the shared one) after reaping from that queue's head, and fq_pending tells
// how many entries the reap took; a timer reaps every queue. A reaped range still in the tree as it was went to a range
// cache (nothing allocates during an unmap or a timer), one that is gone went to the tree.
internal sealed partial class TraceInspector
{
    private readonly List<Queue<IovaRange>> _queues = [];
    private DmaActivity? _dma;
    private int _currentCpu;

    private void StartDma(in TraceOperation operation)
    {
        _queues.Clear();
        _currentCpu = 0;
        _dma = null;
        if (operation.OpCode != TraceOpCode.DmaDomain)
        {
            return;
        }

        var mode = (DmaUnmapMode)operation[4];
        int queues = mode switch { DmaUnmapMode.Lazy => (int)operation[3], DmaUnmapMode.LazySingleQueue => 1, _ => 0 };
        for (int i = 0; i < queues; i++)
        {
            _queues.Add(new Queue<IovaRange>());
        }

        _dma = new DmaActivity { Mode = mode };
    }

    private TraceResult ExecuteDma(DmaDomain dma, IovaDomain domain, in TraceOperation operation, string? sourceName)
    {
        int shift = BitOperations.Log2(dma.Granule);
        switch (operation.OpCode)
        {
            case TraceOpCode.Device:
            {
                NoteLimit(Math.Min(operation[1], dma.ApertureEnd) >> shift);
                NoteLimit(Math.Min(operation[2], dma.ApertureEnd) >> shift);
                return _replayer.Execute(operation, sourceName);
            }

            case TraceOpCode.Map:
            case TraceOpCode.MapCoherent:
            case TraceOpCode.MapScatterList:
            {
                var device = dma.Device((int)operation[0]);
                bool workaround = device.Uses32BitWorkaround;
                int before = domain.Count;
                var result = _replayer.Execute(operation, sourceName);
                NoteFlip(device, workaround, operation.LineNumber);
                bool expected;
                if (result.Kind is TraceResultKind.Address or TraceResultKind.AddressList)
                {
                    // The first address lies in the range's first granule (a scatter list's first segment is never padded).
                    _dma!.Maps++;
                    ulong first = result.Kind == TraceResultKind.Address ? result.First : result.Addresses.Span[0];
                    bool wasCached = _cached.Remove(first >> shift);
                    expected = domain.Count == (wasCached ? before : before + 1);
                }
                else
                {
                    _dma!.MapFailures++;
                    expected = domain.Count == before;
                }

                if (!expected)
                {
                    // A flush and retry, or a failed map's flush, sent parked ranges back to the tree.
                    RecheckCached(domain);
                }

                return result;
            }

            case TraceOpCode.MapNoMem:
            {
                // Allocated, then freed at once through the range cache: compare the tree before and after (a rare op).
                var device = dma.Device((int)operation[0]);
                bool workaround = device.Uses32BitWorkaround;
                var before = domain.GetRanges().ToHashSet();
                var result = _replayer.Execute(operation, sourceName);
                NoteFlip(device, workaround, operation.LineNumber);
                _dma!.MapNoMem++;
                foreach (var range in domain.GetRanges())
                {
                    if (!before.Contains(range))
                    {
                        _cached[range.PfnLo] = range;
                    }
                }

                RecheckCached(domain);
                return result;
            }

            case TraceOpCode.Unmap:
            {
                _dma!.Unmaps++;
                ulong pfn = operation[0] >> shift;
                var range = domain.Find(pfn);
                if (_queues.Count == 0)
                {
                    return FreeFast(domain, range, operation, sourceName);
                }

                var queue = _queues[dma.UnmapMode == DmaUnmapMode.LazySingleQueue ? 0 : _currentCpu];
                int pending = dma.PendingUnmaps;
                int before = domain.Count;
                var result = _replayer.Execute(operation, sourceName);
                int gone = Reap(domain, queue, pending + 1 - dma.PendingUnmaps);
                if (domain.Count != before - gone)
                {
                    RecheckCached(domain);
                }

                if (range is { } queued)
                {
                    queue.Enqueue(queued);
                }

                return result;
            }

            case TraceOpCode.FlushQueueTimeout:
            {
                int pending = dma.PendingUnmaps;
                int before = domain.Count;
                var result = _replayer.Execute(operation, sourceName);
                int reaped = pending - dma.PendingUnmaps;
                int gone = 0;
                foreach (var queue in _queues)
                {
                    // A timer flushes first, so every entry of every queue is reaped; count them out in CPU order.
                    int take = Math.Min(reaped, queue.Count);
                    gone += Reap(domain, queue, take);
                    reaped -= take;
                }

                if (domain.Count != before - gone)
                {
                    RecheckCached(domain);
                }

                return result;
            }

            case TraceOpCode.DmaReserve:
            {
                var result = _replayer.Execute(operation, sourceName);
                if (_cached.Count > 0)
                {
                    RecheckCached(domain);
                }

                return result;
            }

            default:
                return _replayer.Execute(operation, sourceName);
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> entries off <paramref name="queue"/>'s head: each one still in the tree as it was
    /// is now cached. Returns how many are gone from the tree; if the tree lost more ranges than that, the caller
    /// rechecks the parked ones.
    /// </summary>
    private int Reap(IovaDomain domain, Queue<IovaRange> queue, int count)
    {
        int gone = 0;
        for (int i = 0; i < count && queue.Count > 0; i++)
        {
            var range = queue.Dequeue();
            if (domain.Find(range.PfnLo) == range)
            {
                _cached[range.PfnLo] = range;
            }
            else
            {
                gone++;
            }
        }

        return gone;
    }

    private void NoteFlip(DmaDevice device, bool workaroundBefore, int line)
    {
        if (workaroundBefore && !device.Uses32BitWorkaround)
        {
            _dma!.Flips.Add(new WorkaroundFlip(device.Id, Operations, line));
        }
    }

    private IovaRange[] QueuedRanges(IovaDomain domain)
    {
        var queued = _queues.SelectMany(q => q).Where(r => domain.Find(r.PfnLo) == r).ToArray();
        Array.Sort(queued, (a, b) => a.PfnLo.CompareTo(b.PfnLo));
        return queued;
    }

    private DmaState? DmaStateNow() => _replayer.DmaDomain is { } dma && _dma is not null
        ? new DmaState
        {
            Mode = dma.UnmapMode,
            PendingUnmaps = dma.PendingUnmaps,
            IotlbFlushes = dma.IotlbFlushes,
            TimerArmed = dma.FlushTimerArmed,
            Activity = _dma,
        }
        : null;
}
