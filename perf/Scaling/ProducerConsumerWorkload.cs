using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Scaling;

/// <summary>
/// Ranges allocated on one thread and freed on another, as when a DMA completion runs on another CPU than the
/// submission: thread i allocates through its fast path and sends the ranges over a bounded
/// <see cref="Channel{T}"/> to thread i+1 (the last to the first), and frees what thread i-1 sends it. Every thread
/// is both producer and consumer, so the pattern works for any thread count (one thread feeds itself).
/// Ranges travel in batches of <see cref="BatchSize"/>, as completions are reaped in batches, so that the channel's
/// lock does not hide the allocator. One operation is one allocation or one free.
/// </summary>
internal sealed class ProducerConsumerWorkload : IScalingWorkload
{
    /// <summary>
    /// Ranges per channel message: about one magazine (127), as a completion handler reaps a batch. A bounded channel
    /// takes a lock per message; at 16 ranges per message the 16-thread run measured that lock (374 Mops/s against
    /// 1,242 for the per-thread pattern), not the allocator.
    /// </summary>
    public const int BatchSize = 128;

    /// <summary>Batches in flight per channel.</summary>
    private const int ChannelCapacity = 4;

    /// <summary>The workload.</summary>
    public static ProducerConsumerWorkload Instance { get; } = new();

    /// <inheritdoc />
    public string Workload => "producer-consumer";

    /// <inheritdoc />
    public string Impl => "fastiova-fast";

    /// <inheritdoc />
    public IScalingRun Prepare(int threads, ScalingSettings settings) => new Run(threads);

    private readonly record struct RangeInFlight(ulong Pfn, ulong Size);

    [InlineArray(BatchSize)]
    private struct RangeArray
    {
        private RangeInFlight _first;
    }

    // A value type: a message is copied into the channel's buffer, so sending allocates nothing.
    private struct RangeBatch
    {
        public RangeArray Ranges;
    }

    private sealed class Run : IScalingRun
    {
        private readonly IovaDomain _domain;
        private readonly ulong _limitPfn;
        private readonly Channel<RangeBatch>[] _channels;

        public Run(int threads)
        {
            _domain = new IovaDomain(FragmentedDomain.Granule, FragmentedDomain.StartPfn);
            _limitPfn = _domain.Dma32Pfn - 1;
            var options = new BoundedChannelOptions(ChannelCapacity)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            };
            _channels = new Channel<RangeBatch>[threads];
            for (int i = 0; i < threads; i++)
            {
                _channels[i] = Channel.CreateBounded<RangeBatch>(options);
            }
        }

        public IScalingWorker CreateWorker(int index) =>
            new Worker(this, _channels[index].Reader, _channels[(index + 1) % _channels.Length].Writer, index);

        public long? TreeLockContentions => _domain.TreeLockContentions;

        public void Dispose() => _domain.Dispose();

        private sealed class Worker(Run run, ChannelReader<RangeBatch> inbox, ChannelWriter<RangeBatch> outbox, int index)
            : IScalingWorker
        {
            private const int StepsPerChunk = 4;

            private readonly SizeSequence _sequence = new(index);
            private RangeBatch _pending;
            private bool _hasPending;
            private SpinWait _idle;

            public void Initialize()
            {
            }

            // Never blocks: a thread whose neighbour's channel is full keeps draining its own, so the ring cannot
            // deadlock (if every channel were full, every thread could read). A step that can neither read nor
            // write backs off (spin, then yield, never sleep): with more threads than free cores, a thread that
            // spun through its time slice while its neighbour was off the CPU measured 1000x too slow.
            public long RunChunk()
            {
                long ops = 0;
                IovaDomain domain = run._domain;
                for (int step = 0; step < StepsPerChunk; step++)
                {
                    bool progress = false;
                    if (inbox.TryRead(out RangeBatch received))
                    {
                        Free(domain, ref received);
                        ops += BatchSize;
                        progress = true;
                    }

                    if (!_hasPending)
                    {
                        for (int i = 0; i < BatchSize; i++)
                        {
                            ulong size = _sequence.Next();
                            if (!domain.TryAllocateFast(size, run._limitPfn, flushCachesOnFailure: true, out ulong pfn))
                            {
                                throw new InvalidOperationException($"Allocation of {size} pfns failed in the producer-consumer workload.");
                            }

                            _pending.Ranges[i] = new RangeInFlight(pfn, size);
                        }

                        _hasPending = true;
                        ops += BatchSize;
                    }

                    if (outbox.TryWrite(_pending))
                    {
                        _hasPending = false;
                        progress = true;
                    }

                    if (progress)
                    {
                        _idle.Reset();
                    }
                    else
                    {
                        _idle.SpinOnce(sleep1Threshold: -1);
                    }
                }

                return ops;
            }

            public void Finish()
            {
                if (_hasPending)
                {
                    Free(run._domain, ref _pending);
                    _hasPending = false;
                }

                while (inbox.TryRead(out RangeBatch received))
                {
                    Free(run._domain, ref received);
                }
            }

            private static void Free(IovaDomain domain, ref RangeBatch batch)
            {
                for (int i = 0; i < BatchSize; i++)
                {
                    RangeInFlight range = batch.Ranges[i];
                    domain.FreeFast(range.Pfn, range.Size);
                }
            }
        }
    }
}
