using System.Numerics;
using FastIova.Dma;
using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>
/// The DMA layer's real-thread world: threads' and workers' flush queues against the timer, full-ring flushes, thread
/// exit, Dispose, the shared queue, and the 32-bit workaround's flip. Every map is claimed in the ledger (handed out
/// twice fails at once), the IOMMU model fails a map of an IOVA whose stale IOTLB entry may survive, and at the end
/// the timer's next run must leave nothing queued and the tree must hold exactly the live mappings.
/// </summary>
internal static class DmaScenarios
{
    /// <summary>A worker's and a thread's unmaps against two runs of the timer (called as the real timer calls it).</summary>
    public static readonly Scenario UnmapsRacingTimer = new("Dma.UnmapsRacingTimer", UnmapsRacingTimerAsync);

    /// <summary>A worker fills its ring and flushes while a thread's unmaps reap its own queue and the timer reaps all.</summary>
    public static readonly Scenario FullRingFlushRacingReap = new("Dma.FullRingFlushRacingReap", FullRingFlushRacingReapAsync);

    /// <summary>Two threads exit with ranges queued while the timer runs: the timer's next run frees them.</summary>
    public static readonly Scenario ThreadExitWithQueuedRanges = new("Dma.ThreadExitWithQueuedRanges", ThreadExitWithQueuedRangesAsync);

    /// <summary>A worker and a thread map and unmap while the domain is disposed: nothing is left queued.</summary>
    public static readonly Scenario DisposeWithQueuedRanges = new("Dma.DisposeWithQueuedRanges", DisposeWithQueuedRangesAsync);

    /// <summary>Single-queue mode: a thread, a worker and a simulated CPU unmap into the one queue while the timer runs.</summary>
    public static readonly Scenario SharedQueueUnderContention = new("Dma.SharedQueueUnderContention", SharedQueueUnderContentionAsync);

    /// <summary>Two threads fail the 32-bit attempt of one PCI device at once: one flip, both maps above 4 GiB.</summary>
    public static readonly Scenario WorkaroundFlipRace = new("Dma.WorkaroundFlipRace", WorkaroundFlipRaceAsync);

    /// <summary>
    /// No IOMMU model, so a worker's maps and unmaps take their untold hot paths (the magazine, the lock-free append to
    /// its own ring) while the timer and an explicit flush reap that ring and a thread maps beside it.
    /// </summary>
    public static readonly Scenario WorkerHotPathRacingReapers = new("Dma.WorkerHotPathRacingReapers", WorkerHotPathRacingReapersAsync);

    /// <summary>
    /// A worker's hot unmap (told to the IOMMU model) lands while explicit flushes are in progress; the worker then
    /// maps again, and would get the range back from the tree if a flush that began before the unmap had freed it.
    /// </summary>
    public static readonly Scenario WorkerUnmapDuringFlush = new("Dma.WorkerUnmapDuringFlush", () => UnmapDuringFlushAsync(byCpu: false));

    /// <summary>
    /// A worker whose queue holds an entry maps and unmaps four times while the real timer runs twice: each run covers
    /// the busy queue without holding it, so the worker's unmaps land before, during and after a cover's flush, and its
    /// next unmaps free what the cover made freeable into its cache, whose next map hands it out again.
    /// </summary>
    public static readonly Scenario WorkerUnmapDuringTimerCover = new("Dma.WorkerUnmapDuringTimerCover", WorkerUnmapDuringTimerCoverAsync);

    /// <summary>The same with a simulated CPU, whose unmaps always take the rules' <c>queue_iova</c> (<c>FlushQueues.Enqueue</c>).</summary>
    public static readonly Scenario CpuUnmapDuringFlush = new("Dma.CpuUnmapDuringFlush", () => UnmapDuringFlushAsync(byCpu: true));

    private static async Task UnmapDuringFlushAsync(bool byCpu)
    {
        using var world = new World();
        Endpoint endpoint = byCpu ? world.Through(world.Domain.Cpu(0), "cpu0") : world.Through(world.Worker, "worker");
        Mapping mapping = endpoint.Map(world.Nic, 4096);
        Task[] workers =
        [
            Task.Run(() =>
            {
                endpoint.Unmap(mapping);
                endpoint.Unmap(endpoint.Map(world.Nic, 4096));
                endpoint.Unmap(endpoint.Map(world.Nic, 4096));
            }),
            Task.Run(() =>
            {
                world.Domain.FlushUnmapQueues();
                world.Domain.FlushUnmapQueues();
            }),
        ];
        await Task.WhenAll(workers);
        world.AssertNothingStranded();
    }

    private static async Task WorkerUnmapDuringTimerCoverAsync()
    {
        using var world = new World();
        Endpoint endpoint = world.Through(world.Worker, "worker");
        MapUnmap(endpoint, world.Nic, rounds: 1); // the timer's first run finds the queue busy
        Task[] workers =
        [
            Task.Run(() => MapUnmap(endpoint, world.Nic, rounds: 4)),
            Task.Run(() =>
            {
                world.Domain.FireFlushTimer();
                world.Domain.FireFlushTimer();
            }),
        ];
        await Task.WhenAll(workers);
        world.AssertNothingStranded();
    }

    private static async Task WorkerHotPathRacingReapersAsync()
    {
        using var world = new World(iommu: false);
        Task[] workers =
        [
            Task.Run(() =>
            {
                // Six unmaps into a ring of three usable slots: appends, a covered head's reap and full-ring flushes.
                Endpoint endpoint = world.Through(world.Worker, "worker");
                MapTwiceUnmapTwice(endpoint, world.Nic);
                MapUnmap(endpoint, world.Nic, rounds: 3);
            }),
            Task.Run(() => MapUnmap(world.Through(null, "thread"), world.Nic, rounds: 2)),
            Task.Run(() =>
            {
                world.Domain.FireFlushTimer();
                world.Domain.FlushUnmapQueues();
            }),
        ];
        await Task.WhenAll(workers);
        world.AssertNothingStranded();
    }

    private static async Task UnmapsRacingTimerAsync()
    {
        using var world = new World();
        Task[] workers =
        [
            Task.Run(() => MapUnmap(world.Through(world.Worker, "worker"), world.Nic, rounds: 3)),
            Task.Run(() => MapUnmap(world.Through(null, "thread"), world.Nic, rounds: 3)),
            Task.Run(() =>
            {
                world.Domain.FireFlushTimer();
                world.Domain.FireFlushTimer();
            }),
        ];
        await Task.WhenAll(workers);
        world.AssertNothingStranded();
    }

    private static async Task FullRingFlushRacingReapAsync()
    {
        using var world = new World();
        Task[] workers =
        [
            Task.Run(() =>
            {
                // Four unmaps into a ring of three usable slots: the fourth flushes, then maps reuse what it freed.
                Endpoint endpoint = world.Through(world.Worker, "worker");
                Mapping[] held = [endpoint.Map(world.Nic, 4096), endpoint.Map(world.Nic, 4096), endpoint.Map(world.Nic, 4096), endpoint.Map(world.Nic, 4096)];
                foreach (Mapping mapping in held)
                {
                    endpoint.Unmap(mapping);
                }

                MapUnmap(endpoint, world.Nic, rounds: 1);
            }),
            Task.Run(() => MapUnmap(world.Through(null, "thread"), world.Nic, rounds: 3)),
            Task.Run(() => world.Domain.FireFlushTimer()),
        ];
        await Task.WhenAll(workers);
        world.AssertNothingStranded();
    }

    private static async Task ThreadExitWithQueuedRangesAsync()
    {
        using var world = new World(worker: false);
        Thread[] threads =
        [
            new Thread(() => MapUnmap(world.Through(null, "T1"), world.Nic, rounds: 2)),
            new Thread(() => MapUnmap(world.Through(null, "T2"), world.Nic, rounds: 2)),
        ];
        Array.ForEach(threads, t => t.Start());
        Task timer = Task.Run(() => world.Domain.FireFlushTimer());
        Array.ForEach(threads, t => t.Join());
        await timer;

        world.AssertNothingStranded();
        Specification.Assert(world.Domain.OwnedFlushQueues == 0, "{0} queues of exited threads still registered after a flush.", world.Domain.OwnedFlushQueues);
    }

    private static async Task DisposeWithQueuedRangesAsync()
    {
        var world = new World(); // the domain is disposed by the race, the worker afterwards
        Task[] workers =
        [
            Task.Run(() => UntilDisposed(() => MapUnmap(world.Through(world.Worker, "worker"), world.Nic, rounds: 2))),
            Task.Run(() => UntilDisposed(() => MapUnmap(world.Through(null, "thread"), world.Nic, rounds: 2))),
            Task.Run(world.Domain.Dispose),
        ];
        await Task.WhenAll(workers);
        world.Worker.Dispose();
        Specification.Assert(world.Domain.PendingUnmaps == 0, "{0} unmaps left queued in the disposed domain.", world.Domain.PendingUnmaps);
    }

    private static async Task SharedQueueUnderContentionAsync()
    {
        using var world = new World(DmaUnmapMode.LazySingleQueue);
        Task[] workers =
        [
            Task.Run(() => MapTwiceUnmapTwice(world.Through(world.Worker, "worker"), world.Nic)),
            Task.Run(() => MapTwiceUnmapTwice(world.Through(null, "thread"), world.Nic)),
            Task.Run(() => MapTwiceUnmapTwice(world.Through(world.Domain.Cpu(1), "cpu1"), world.Nic)),
            Task.Run(() =>
            {
                world.Domain.FireFlushTimer();
                world.Domain.FireFlushTimer();
            }),
        ];
        await Task.WhenAll(workers);
        world.AssertNothingStranded();
    }

    private static async Task WorkaroundFlipRaceAsync()
    {
        // 16 pages below 4 GiB, all reserved: every 32-bit attempt fails.
        const ulong low = 0xffff0000;
        using DmaDomain domain = SmallDmaDomain.Create(DmaUnmapMode.Lazy, new StaleIotlbModel(), apertureStart: low, apertureEnd: (1UL << 33) - 1);
        var ledger = new OwnershipLedger();
        ledger.Claim(domain.Reserve(low, (1UL << 32) - low), "reserved");
        DmaDevice pci = domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: true);
        using DmaWorker worker = domain.CreateWorker();
        var mapped = new Mapping[2];
        Task[] workers =
        [
            Task.Run(() => mapped[0] = new Endpoint(domain, worker, ledger, "worker").Map(pci, 4096)),
            Task.Run(() => mapped[1] = new Endpoint(domain, null, ledger, "thread").Map(pci, 4096)),
        ];
        await Task.WhenAll(workers);

        Specification.Assert(domain.WorkaroundFlips == 1, "The flip was counted {0} times.", domain.WorkaroundFlips);
        Specification.Assert(!pci.Uses32BitWorkaround, "The device still uses the 32-bit workaround.");
        Specification.Assert(mapped.All(m => m.Address >= 1UL << 32), "A map landed below 4 GiB: 0x{0:x}, 0x{1:x}.", mapped[0].Address, mapped[1].Address);
        new Endpoint(domain, null, ledger, "main").Unmap(mapped[0]);
        new Endpoint(domain, null, ledger, "main").Unmap(mapped[1]);
        AssertNothingStranded(domain, ledger, allocationsBalanceFrees: false);
    }

    private static void MapUnmap(Endpoint endpoint, DmaDevice device, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            endpoint.Unmap(endpoint.Map(device, 4096));
        }
    }

    // Two entries queued at once, so that the timer finds entries to reap while the unmaps reap the same queue.
    private static void MapTwiceUnmapTwice(Endpoint endpoint, DmaDevice device)
    {
        Mapping first = endpoint.Map(device, 4096), second = endpoint.Map(device, 4096);
        endpoint.Unmap(first);
        endpoint.Unmap(second);
        MapUnmap(endpoint, device, rounds: 1);
    }

    private static void UntilDisposed(Action work)
    {
        try
        {
            work();
        }
        catch (ObjectDisposedException)
        {
            // The defined outcome for a call that loses the race with Dispose.
        }
    }

    /// <summary>
    /// Quiescent: whatever is queued has a timer armed to free it; the timer's next two runs free all of it (the first
    /// covers the queues of owners that unmapped since the last run, and arms the timer again; the second finds them
    /// idle and frees them); then the tree holds exactly what the workers hold (<see cref="DomainAudit"/>).
    /// </summary>
    private static void AssertNothingStranded(DmaDomain domain, OwnershipLedger ledger, bool allocationsBalanceFrees = true)
    {
        Specification.Assert(
            domain.PendingUnmaps == 0 || domain.FlushTimerArmed,
            "{0} unmaps queued and no timer armed to free them.", domain.PendingUnmaps);
        domain.FireFlushTimer();
        Specification.Assert(
            domain.PendingUnmaps == 0 || domain.FlushTimerArmed,
            "{0} unmaps queued after the timer's run, and it did not arm itself again.", domain.PendingUnmaps);
        domain.FireFlushTimer();
        Specification.Assert(domain.PendingUnmaps == 0, "{0} unmaps still queued after the timer's second run.", domain.PendingUnmaps);
        Specification.Assert(!domain.FlushTimerArmed, "The timer armed itself again with nothing queued.");
        domain.FlushUnmapQueues();
        DomainAudit.AssertNothingLost(domain.Iova, ledger, allocationsBalanceFrees);
    }

    /// <summary>
    /// What most scenarios start from, made on the test's thread before any task starts: a domain over the stale-IOTLB
    /// model (or no model), a 64-bit NIC without the PCI workaround, the ledger, and a worker.
    /// </summary>
    private sealed class World : IDisposable
    {
        private readonly DmaWorker? _worker;

        public World(DmaUnmapMode mode = DmaUnmapMode.Lazy, bool iommu = true, bool worker = true)
        {
            Domain = SmallDmaDomain.Create(mode, iommu ? new StaleIotlbModel() : null);
            Nic = Domain.AttachDevice(1, ulong.MaxValue, ulong.MaxValue, pci32BitWorkaround: false);
            Ledger = new OwnershipLedger();
            _worker = worker ? Domain.CreateWorker() : null;
        }

        public DmaDomain Domain { get; }

        public DmaDevice Nic { get; }

        public OwnershipLedger Ledger { get; }

        public DmaWorker Worker => _worker ?? throw new InvalidOperationException("This world was made without a worker.");

        /// <summary>An endpoint mapping through <paramref name="mapper"/> (the calling thread when null).</summary>
        public Endpoint Through(DmaMapper? mapper, string owner) => new(Domain, mapper, Ledger, owner);

        public void AssertNothingStranded() => DmaScenarios.AssertNothingStranded(Domain, Ledger);

        public void Dispose()
        {
            _worker?.Dispose();
            Domain.Dispose();
        }
    }

    private readonly record struct Mapping(ulong Address, ulong Size)
    {
        // The IOVA range the fast path handed out: whole pages, a power of two below 32.
        public IovaRange Range
        {
            get
            {
                ulong first = Address / SmallDmaDomain.Granule, pages = (Address + Size - 1) / SmallDmaDomain.Granule - first + 1;
                return new IovaRange(first, first + BitOperations.RoundUpToPowerOf2(pages) - 1);
            }
        }
    }

    /// <summary>A way to map (a worker, a simulated CPU, or the calling thread when null), bound to the ledger.</summary>
    private sealed class Endpoint(DmaDomain domain, DmaMapper? mapper, OwnershipLedger ledger, string owner)
    {
        public Mapping Map(DmaDevice device, ulong size)
        {
            ulong address = mapper is null ? domain.Map(device, 0x1000, size) : mapper.Map(device, 0x1000, size);
            var mapping = new Mapping(address, size);
            ledger.Claim(mapping.Range, owner);
            return mapping;
        }

        public void Unmap(Mapping mapping)
        {
            ledger.Release(mapping.Range);
            if (mapper is null)
            {
                domain.Unmap(mapping.Address, mapping.Size);
            }
            else
            {
                mapper.Unmap(mapping.Address, mapping.Size);
            }
        }
    }
}
