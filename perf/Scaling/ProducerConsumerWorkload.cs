using System.Threading.Channels;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Scaling;

/// <summary>
/// Ranges allocated on one thread and freed on another, as when a completion runs on another CPU than the
/// submission: thread i allocates through its fast path and sends the range over a bounded
/// <see cref="Channel{T}"/> to thread i+1 (the last to the first), and frees what thread i-1 sends it.
/// Every thread is both producer and consumer, so the pattern works for any thread count (one thread feeds itself).
/// One operation is one allocation or one free.
/// </summary>
internal sealed class ProducerConsumerWorkload : IScalingWorkload
{
    /// <summary>Ranges in flight per channel: enough to keep the pair decoupled, few enough to stay in the caches.</summary>
    private const int ChannelCapacity = 64;

    /// <summary>The workload.</summary>
    public static ProducerConsumerWorkload Instance { get; } = new();

    /// <inheritdoc />
    public string Workload => "producer-consumer";

    /// <inheritdoc />
    public string Impl => "fastiova-fast";

    /// <inheritdoc />
    public IScalingRun Prepare(int threads) => new Run(threads);

    private readonly record struct RangeInFlight(ulong Pfn, ulong Size);

    private sealed class Run : IScalingRun
    {
        private readonly IovaDomain _domain;
        private readonly ulong _limitPfn;
        private readonly Channel<RangeInFlight>[] _channels;

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
            _channels = new Channel<RangeInFlight>[threads];
            for (int i = 0; i < threads; i++)
            {
                _channels[i] = Channel.CreateBounded<RangeInFlight>(options);
            }
        }

        public IScalingWorker CreateWorker(int index) =>
            new Worker(this, _channels[index].Reader, _channels[(index + 1) % _channels.Length].Writer, index);

        public void Dispose() => _domain.Dispose();

        private sealed class Worker(Run run, ChannelReader<RangeInFlight> inbox, ChannelWriter<RangeInFlight> outbox, int index)
            : IScalingWorker
        {
            private const int StepsPerChunk = 64;

            private readonly SizeSequence _sequence = new(index);
            private RangeInFlight _pending;
            private bool _hasPending;

            public void Initialize()
            {
            }

            // Never blocks: a thread whose neighbour's channel is full keeps draining its own, so the ring cannot
            // deadlock (if every channel were full, every thread could read).
            public long RunChunk()
            {
                long ops = 0;
                IovaDomain domain = run._domain;
                for (int i = 0; i < StepsPerChunk; i++)
                {
                    if (inbox.TryRead(out RangeInFlight received))
                    {
                        domain.FreeFast(received.Pfn, received.Size);
                        ops++;
                    }

                    if (!_hasPending)
                    {
                        ulong size = _sequence.Next();
                        if (!domain.TryAllocateFast(size, run._limitPfn, flushCachesOnFailure: true, out ulong pfn))
                        {
                            throw new InvalidOperationException($"Allocation of {size} pfns failed in the producer-consumer workload.");
                        }

                        _pending = new RangeInFlight(pfn, size);
                        _hasPending = true;
                        ops++;
                    }

                    if (outbox.TryWrite(_pending))
                    {
                        _hasPending = false;
                    }
                }

                return ops;
            }

            public void Finish()
            {
                if (_hasPending)
                {
                    run._domain.FreeFast(_pending.Pfn, _pending.Size);
                    _hasPending = false;
                }

                while (inbox.TryRead(out RangeInFlight received))
                {
                    run._domain.FreeFast(received.Pfn, received.Size);
                }
            }
        }
    }
}
