using System.Runtime.CompilerServices;
using FastIova.Dma;
using Xunit;

namespace FastIova.Tests.Correctness.DmaThreads;

/// <summary>
/// The real-thread world's queues: each thread and worker its own in per-CPU lazy mode, the shared one in single-queue
/// mode; nothing stranded by a thread that exits, a worker dropped undisposed, a worker's or the domain's Dispose, or
/// an explicit flush.
/// </summary>
[Collection(DmaThreadCollection.Name)]
public sealed class DmaThreadLifecycleTests
{
    private const ulong Granule = 4096;

    [Fact]
    public void EachThreadAndWorker_QueuesInItsOwnQueue()
    {
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: true);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);

        RunOnThread(() => domain.Unmap(domain.Map(nic, 0x1000, 1500), 1500));
        RunOnThread(() => domain.Unmap(domain.Map(nic, 0x2000, 1500), 1500));
        using DmaWorker worker = domain.CreateWorker();
        worker.Unmap(worker.Map(nic, 0x3000, 1500), 1500);

        Assert.Equal(3, domain.PendingUnmaps);
        Assert.Equal(3, domain.OwnedFlushQueues);
        Assert.True(domain.FlushTimerArmed);
        Assert.Equal(3, domain.Iova.Count); // queued ranges stay allocated

        Assert.True(domain.FireFlushTimer());
        Assert.Equal(0, domain.PendingUnmaps);
        Assert.Equal(1, domain.IotlbFlushes);
        domain.Iova.FlushCaches();
        Assert.Equal(0, domain.Iova.Count);
    }

    /// <summary>
    /// A worker's full ring is flushed by the worker and frees its own entries only; another worker's wait for its own
    /// flush, the timer's or an explicit one. Every flush-all is told to the model and counted, a disposed worker's too.
    /// </summary>
    [Fact]
    public void AWorkersFullRingFlush_FreesItsOwnQueueOnly()
    {
        var iommu = new CountingIommu();
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: true, iommu, queueSlots: 4);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        DmaWorker filling = domain.CreateWorker();
        using DmaWorker waiting = domain.CreateWorker();
        for (int i = 0; i < 2; i++)
            waiting.Unmap(waiting.Map(nic, 0x1000, 4096), 4096);

        // Three usable slots: the fourth unmap finds the ring full, flushes, frees its three and queues itself.
        for (int i = 0; i < 4; i++)
            filling.Unmap(filling.Map(nic, 0x2000, 4096), 4096);
        Assert.Equal(1, iommu.Flushes);
        Assert.Equal(1, domain.IotlbFlushes);
        Assert.Equal(1 + 2, domain.PendingUnmaps);

        waiting.Unmap(waiting.Map(nic, 0x3000, 4096), 4096);
        Assert.Equal(1 + 3, domain.PendingUnmaps); // not freed by the other worker's flush

        filling.Dispose(); // flushes its one entry
        Assert.Equal(2, domain.IotlbFlushes);
        Assert.Equal(3, domain.PendingUnmaps);
        domain.FlushUnmapQueues();
        Assert.Equal(0, domain.PendingUnmaps);
        Assert.Equal(3, domain.IotlbFlushes);
        Assert.Equal(3, iommu.Flushes);
    }

    /// <summary>
    /// The real timer's rules (fired by hand here): an exited thread's queue is freed at once; a busy worker's is only
    /// covered, its next unmap frees what the flush covered into its own cache, and the timer arms itself again; a
    /// queue whose owner has not unmapped since the last run is held and freed, and the timer then stays disarmed.
    /// </summary>
    [Fact]
    public void RealTimer_CoversABusyWorkersQueue_AndFreesAnIdleOne()
    {
        var iommu = new CountingIommu();
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: false, iommu, timerPeriod: Timeout.InfiniteTimeSpan);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        using DmaWorker worker = domain.CreateWorker();
        ulong first = worker.Map(nic, 0x1000, 4096), second = worker.Map(nic, 0x2000, 4096);
        worker.Unmap(first, 4096);
        worker.Unmap(second, 4096);
        RunOnThread(() => domain.Unmap(domain.Map(nic, 0x3000, 4096), 4096));

        Assert.True(domain.FireFlushTimer());
        Assert.Equal(1, domain.IotlbFlushes);
        Assert.Equal(2, domain.PendingUnmaps);
        Assert.True(domain.FlushTimerArmed);

        worker.Unmap(worker.Map(nic, 0x4000, 4096), 4096);
        Assert.Equal(1, domain.PendingUnmaps);
        ulong[] again = [worker.Map(nic, 0x5000, 4096), worker.Map(nic, 0x6000, 4096)];
        Assert.Equal(new[] { first, second }.Order(), again.Order()); // the covered ranges, from the worker's cache

        Assert.True(domain.FireFlushTimer()); // the last unmap came after the first run: covered again
        Assert.Equal(1, domain.PendingUnmaps);
        Assert.True(domain.FireFlushTimer()); // no unmap since: held and freed
        Assert.Equal(0, domain.PendingUnmaps);
        Assert.False(domain.FlushTimerArmed);
        Assert.Equal(3, iommu.Flushes);
        Assert.Equal(3, domain.IotlbFlushes);
    }

    [Fact]
    public void SingleQueueMode_ThreadsAndWorkersShareTheOneQueue()
    {
        using var domain = NewDomain(DmaUnmapMode.LazySingleQueue, simulatedTimer: true);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        RunOnThread(() => domain.Unmap(domain.Map(nic, 0x1000, 4096), 4096));
        using DmaWorker worker = domain.CreateWorker();
        worker.Unmap(worker.Map(nic, 0x3000, 4096), 4096);

        Assert.Equal(0, domain.OwnedFlushQueues);
        Assert.Equal(2, domain.PendingUnmaps);
        domain.FlushUnmapQueues();
        Assert.Equal(0, domain.PendingUnmaps);
    }

    [Fact]
    public void StrictMode_ThreadAndWorkerUnmapsFreeAtOnce()
    {
        using var domain = NewDomain(DmaUnmapMode.Strict, simulatedTimer: false);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        using DmaWorker worker = domain.CreateWorker();
        ulong first = domain.Map(nic, 0x1000, 100);
        domain.Unmap(first, 100);
        Assert.Equal(first, domain.Map(nic, 0x1000, 100)); // from the thread's cache
        ulong viaWorker = worker.Map(nic, 0x5000, 8192);
        worker.Unmap(viaWorker, 8192);
        Assert.Equal(viaWorker, worker.Map(nic, 0x5000, 8192));
        Assert.Equal(0, domain.PendingUnmaps);
        Assert.False(domain.FlushTimerArmed);
    }

    [Fact]
    public void ExitedThreads_QueuedRangesAreFreedByTheRealTimer()
    {
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: false);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        for (int t = 0; t < 16; t++)
        {
            RunOnThread(() =>
            {
                var held = new ulong[40];
                for (int i = 0; i < held.Length; i++)
                    held[i] = domain.Map(nic, (ulong)i * Granule, Granule);
                foreach (ulong address in held)
                    domain.Unmap(address, Granule);
            });
        }

        // The last unmap armed the timer; its run (10 ms) frees every queue, the exited threads' too.
        Poll(() => domain.PendingUnmaps == 0, "the timer to free the exited threads' queues");
        domain.Iova.ReclaimDeadThreadCaches();
        domain.Iova.FlushCaches();
        Assert.Equal(0, domain.Iova.Count);

        // A later flush forgets the exited threads' empty queues.
        domain.FlushUnmapQueues();
        Assert.Equal(0, domain.OwnedFlushQueues);
    }

    [Fact]
    public void LiveIdleWorker_QueuedRangesAreFreedByTheRealTimer()
    {
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: false);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        using DmaWorker worker = domain.CreateWorker();
        for (int i = 0; i < 40; i++)
            worker.Unmap(worker.Map(nic, (ulong)i * Granule, Granule), Granule);

        // The first run covers the busy worker's queue and arms the timer again; the next finds it idle and frees it.
        Poll(() => domain.PendingUnmaps == 0, "the timer to free an idle worker's queue");
        Poll(() => !domain.FlushTimerArmed, "the timer to stay disarmed with nothing queued");
    }

    [Fact]
    public void WorkerDroppedWithoutDispose_LeavesNothingBehind()
    {
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: false);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        ulong kept = UseAndDropWorker(domain, nic);

        Poll(() => domain.PendingUnmaps == 0, "the timer to free the dropped worker's queue");
        Poll(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                domain.Iova.ReclaimDeadThreadCaches();
                domain.FlushUnmapQueues();
                return domain.OwnedFlushQueues == 0;
            },
            "the dropped worker's queue to be found abandoned");
        domain.Iova.FlushCaches();
        Assert.Equal([kept >> 12], domain.Iova.GetRanges().Select(r => r.PfnLo));
    }

    [Fact]
    public void WorkerDispose_FlushesAndFreesItsQueue_ThenRefusesWork()
    {
        var iommu = new CountingIommu();
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: true, iommu);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        DmaWorker worker = domain.CreateWorker();
        for (int i = 0; i < 5; i++)
            worker.Unmap(worker.Map(nic, (ulong)i * Granule, Granule), Granule);
        Assert.Equal(5, domain.PendingUnmaps);

        worker.Dispose();
        Assert.Equal(0, domain.PendingUnmaps);
        Assert.Equal(1, iommu.Flushes);
        Assert.Equal(0, domain.OwnedFlushQueues);
        Assert.Equal(0, domain.Iova.Count); // freed into the worker's cache, which Dispose returned to the tree
        Assert.Throws<ObjectDisposedException>(() => worker.Map(nic, 0, Granule));
        Assert.Throws<ObjectDisposedException>(() => worker.Unmap(domain.Map(nic, 0, Granule), Granule));
        worker.Dispose();

        // An empty queue needs no flush.
        domain.CreateWorker().Dispose();
        Assert.Equal(1, iommu.Flushes);
    }

    [Fact]
    public void DomainDispose_FreesEveryQueue_AndLaterCallsThrow()
    {
        var iommu = new CountingIommu();
        var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: true, iommu);
        DmaDevice nic = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
        DmaWorker worker = domain.CreateWorker();
        worker.Unmap(worker.Map(nic, 0, Granule), Granule);
        domain.Unmap(domain.Map(nic, 0, Granule), Granule);
        domain.Cpu(1).Unmap(domain.Cpu(1).Map(nic, 0, Granule), Granule);
        RunOnThread(() => domain.Unmap(domain.Map(nic, 0, Granule), Granule));
        Assert.Equal(4, domain.PendingUnmaps);

        domain.Dispose();
        Assert.Equal(0, domain.PendingUnmaps);
        Assert.True(iommu.Flushes >= 1);
        Assert.Throws<ObjectDisposedException>(() => domain.Map(nic, 0, Granule));
        Assert.Throws<ObjectDisposedException>(() => worker.Map(nic, 0, Granule));
        Assert.Throws<ObjectDisposedException>(() => worker.Unmap(Granule, Granule));
        worker.Dispose();
    }

    [Fact]
    public void FlushUnmapQueues_LeavesExactlyTheLiveMappings()
    {
        using var domain = NewDomain(DmaUnmapMode.Lazy, simulatedTimer: true);
        DmaDevice nvme = domain.AttachDevice(2, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: true);
        using DmaWorker worker = domain.CreateWorker();
        ScatterSegment[] segments = [new(0x10100, 30000), new(0x20000, 8192)];
        var addresses = new ulong[2];
        worker.MapScatterList(nvme, 0xffff, segments, addresses);
        ulong live = domain.Map(nvme, 0x123, 5000);
        domain.UnmapScatterList(addresses, segments); // a worker's mapping unmapped by the thread
        worker.Unmap(worker.Map(nvme, 0, Granule), Granule);

        domain.FlushUnmapQueues();
        domain.Iova.FlushCaches();
        Assert.Equal(0, domain.PendingUnmaps);
        Assert.Equal([live >> 12], domain.Iova.GetRanges().Select(r => r.PfnLo));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong UseAndDropWorker(DmaDomain domain, DmaDevice device)
    {
        DmaWorker worker = domain.CreateWorker();
        for (int i = 0; i < 300; i++) // more than a ring: one flush on a full queue on the way
            worker.Unmap(worker.Map(device, (ulong)i * Granule, Granule), Granule);
        return worker.Map(device, 0, Granule); // still mapped when the worker is dropped
    }

    // timerPeriod and queueSlots: the test constructor's (a real timer fired by hand when infinite; smaller rings).
    internal static DmaDomain NewDomain(
        DmaUnmapMode mode, bool simulatedTimer, IIommuModel? iommu = null, TimeSpan? timerPeriod = null, int? queueSlots = null) =>
        new(
            new DmaDomainOptions
            {
                UnmapMode = mode,
                CpuCount = 2,
                SimulatedTimer = simulatedTimer,
                Iommu = iommu,
                DepotTrimInterval = Timeout.InfiniteTimeSpan,
            },
            timerPeriod,
            queueSlots);

    internal static void RunOnThread(Action body)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
            throw new InvalidOperationException("The thread failed.", failure);
    }

    private static void Poll(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited 30 s for {what}.");
            Thread.Sleep(5);
        }
    }

    private sealed class CountingIommu : IIommuModel
    {
        private int _flushes;

        public int Flushes => Volatile.Read(ref _flushes);

        public void FlushIotlbAll() => Interlocked.Increment(ref _flushes);
    }
}

/// <summary>The real-thread DMA tests run one at a time: they poll real timers and count threads' queues.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DmaThreadCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "DMA real threads";
}
