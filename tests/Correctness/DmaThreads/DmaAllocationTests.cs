using FastIova.Tests.Correctness.Support;
using FastIova.Dma;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.DmaThreads;

/// <summary>
/// Map and unmap allocate no managed memory in the steady state, through a worker and through the thread API, strict
/// and lazy (flushes of full queues, timer runs fired by the test), single maps and scatter lists (the caller's spans
/// in and out). Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/>, as the fast path's own test does.
/// </summary>
[Collection(DmaThreadCollection.Name)]
public sealed class DmaAllocationTests(ITestOutputHelper output)
{
    private const int Rounds = 20_000;
    private const int Burst = 300; // more than a queue's 255 usable slots: full-ring flushes on the way
    private const int TimerEvery = 1000;

    [Theory]
    [InlineData(DmaUnmapMode.Strict, true)]
    [InlineData(DmaUnmapMode.Lazy, true)]
    [InlineData(DmaUnmapMode.LazySingleQueue, true)]
    [InlineData(DmaUnmapMode.Strict, false)]
    [InlineData(DmaUnmapMode.Lazy, false)]
    [InlineData(DmaUnmapMode.LazySingleQueue, false)]
    public void MapAndUnmap_SteadyState_AllocateNothing(DmaUnmapMode mode, bool throughWorker)
    {
        // The timer is fired here, every TimerEvery rounds, rather than by a real timer: a real one runs when the machine
        // lets it (the single queue's 1000 ms timer ran during the measured attempts only when CI was slow, and they
        // then allocated 2-4 KB each, most likely tree leaves for the ranges it had moved into the timer cache).
        bool lazy = mode != DmaUnmapMode.Strict;
        using var domain = new DmaDomain(new DmaDomainOptions
        {
            UnmapMode = mode,
            CpuCount = 2,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
            SimulatedTimer = lazy,
        });
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: true);
        using DmaWorker worker = domain.CreateWorker();
        DmaMapper? mapper = throughWorker ? worker : null;
        ScatterSegment[] segments = [new(0x1234, 3000), new(0x8000, 9000), new(0x20000, 4096)];
        var addresses = new ulong[segments.Length];
        var held = new ulong[Burst];

        AllocationAssert.AllocatesNothing(output, $"{mode}, {(throughWorker ? "worker" : "thread API")}", () =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                if (lazy && i % TimerEvery == 0)
                    domain.FireFlushTimer();
                ulong size = (ulong)(i % 5000) + 1;
                ulong address = mapper is null ? domain.Map(nic, 0x10000 + (ulong)i, size) : mapper.Map(nic, 0x10000 + (ulong)i, size);
                if (mapper is null)
                    domain.Unmap(address, size);
                else
                    mapper.Unmap(address, size);

                if (mapper is null)
                {
                    domain.MapScatterList(nic, 0xffff, segments, addresses);
                    domain.UnmapScatterList(addresses, segments);
                }
                else
                {
                    mapper.MapScatterList(nic, 0xffff, segments, addresses);
                    mapper.UnmapScatterList(addresses, segments);
                }
            }

            for (int i = 0; i < Burst; i++)
                held[i] = mapper is null ? domain.MapCoherent(nic, 0, 4096) : mapper.MapCoherent(nic, 0, 4096);
            for (int i = 0; i < Burst; i++)
            {
                if (mapper is null)
                    domain.Unmap(held[i], 4096);
                else
                    mapper.Unmap(held[i], 4096);
            }
        });
    }
}
