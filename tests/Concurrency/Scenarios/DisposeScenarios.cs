using FastIova.Caches;
using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Dispose racing use: every call either completes or throws ObjectDisposedException, and nothing is handed out twice.</summary>
internal static class DisposeScenarios
{
    /// <summary>Two workers use the fast path and the tree while two others dispose the domain.</summary>
    public static readonly Scenario DisposeRacingUse = new("Dispose.DisposeRacingUse", DisposeRacingUseAsync);

    /// <summary>
    /// Dispose racing every tree operation: Allocate, Find, Free, Reserve, TryReserve, GetRanges, Count and
    /// GetStatistics. Each completes or throws ObjectDisposedException; afterwards every one of them throws it, the
    /// tree is whole and still holds every range a worker kept.
    /// </summary>
    public static readonly Scenario DisposeRacingTreeOps = new("Dispose.DisposeRacingTreeOps", DisposeRacingTreeOpsAsync);

    /// <summary>
    /// Dispose racing every cache operation: an IovaCache created, used, flushed and disposed; a simulated CPU's fast
    /// path and flush; FlushCaches, FlushDepot, TrimDepot and ReclaimDeadThreadCaches; a thread cache's owner. Once
    /// Dispose and the flusher have returned, the owners' next fast calls (which may not reach any disposed check but
    /// their closed cache's) must throw ObjectDisposedException: no flush may reopen a sealed cache.
    /// </summary>
    public static readonly Scenario DisposeRacingCaches = new("Dispose.DisposeRacingCaches", DisposeRacingCachesAsync);

    /// <summary>
    /// Two Dispose calls, field by field (memory race checking): exactly one seals the caches and releases the domain's
    /// thread-cache slot. A slot released twice would be handed to the next two domains at once.
    /// </summary>
    public static readonly Scenario DisposeRacingDispose = new("Dispose.DisposeRacingDisposeRaceChecked", DisposeRacingDisposeAsync, MemoryRaceChecking: true);

    private static async Task DisposeRacingUseAsync()
    {
        IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        Task[] workers =
        [
            Task.Run(() => UseUntilDisposed(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Thread(domain, ledger, "A"), mailbox, [1, 2, 1]))),
            Task.Run(() => UseUntilDisposed(() =>
            {
                IovaRange range = domain.Allocate(3, SmallDomain.RoomyLimit);
                ledger.Claim(range, "B");
                Specification.Assert(domain.Find(range.PfnLo) == range, "Find misses B's live range {0}.", range);
                ledger.Release(range);
                Specification.Assert(domain.Free(range.PfnLo), "Free of B's live range {0} returned false.", range);
                FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 1, count: 3);
            })),
            Task.Run(domain.Dispose),
            Task.Run(domain.Dispose),
        ];
        await Task.WhenAll(workers);

        // Once disposed, stays disposed.
        bool refused = false;
        try
        {
            domain.TryAllocateFast(1, SmallDomain.RoomyLimit, false, out _);
        }
        catch (ObjectDisposedException)
        {
            refused = true;
        }

        Specification.Assert(refused, "The domain still answered after both Dispose calls returned.");
    }

    private static async Task DisposeRacingTreeOpsAsync()
    {
        IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => UseUntilDisposed(() =>
            {
                IovaRange range = domain.Allocate(2, SmallDomain.RoomyLimit);
                ledger.Claim(range, "A");
                Specification.Assert(domain.Find(range.PfnHi) == range, "Find misses A's live range {0}.", range);
                ledger.Release(range);
                Specification.Assert(domain.Free(range.PfnLo), "Free of A's live range {0} returned false.", range);
                ledger.Claim(domain.Allocate(1, SmallDomain.RoomyLimit), "A");
            })),
            Task.Run(() => UseUntilDisposed(() =>
            {
                ledger.Claim(domain.Reserve(300, 301), "R");
                Specification.Assert(domain.TryReserve(310, 310, out IovaRange reserved) && reserved == new IovaRange(310, 310), "TryReserve(310, 310) gave {0}.", reserved);
                ledger.Claim(reserved, "R");
            })),
            Task.Run(() => UseUntilDisposed(() =>
            {
                IovaRange[] ranges = domain.GetRanges();
                Specification.Assert(ranges.Length <= 4 && domain.Count <= 4, "{0} ranges with at most 4 live.", ranges.Length);
                IovaStatistics stats = domain.GetStatistics();
                Specification.Assert(stats.LiveRanges is >= 0 and <= 4, "LiveRanges {0} with at most 4 live.", stats.LiveRanges);
            })),
            Task.Run(domain.Dispose),
        ];
        await Task.WhenAll(workers);
        AssertDisposedForGood(domain, ledger);
    }

    private static async Task DisposeRacingCachesAsync()
    {
        IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();

        Task[] disposerAndFlusher =
        [
            Task.Run(domain.Dispose),
            Task.Run(() => UseUntilDisposed(() =>
            {
                domain.FlushCaches();
                domain.TrimDepot();
                domain.ReclaimDeadThreadCaches();
                domain.FlushDepot();
            })),
        ];
        Task[] owners =
        [
            Task.Run(() =>
            {
                IovaCache? cache = null;
                UseUntilDisposed(() =>
                {
                    cache = domain.CreateCache();
                    FastPathScenarios.TradeRanges(FastPathEndpoint.Owned(cache, ledger, "owned"), mailbox, [1, 2]);
                    cache.Flush();
                    FastPathScenarios.TradeRanges(FastPathEndpoint.Owned(cache, ledger, "owned"), mailbox, [1]);
                });
                Task.WaitAll(disposerAndFlusher);
                if (cache is not null)
                {
                    AssertRefused(() => cache.FreeFast(SmallDomain.RoomyLimit, 1), "IovaCache.FreeFast");
                    AssertRefused(() => cache.TryAllocateFast(1, SmallDomain.RoomyLimit, false, out _), "IovaCache.TryAllocateFast");
                    AssertRefused(cache.Flush, "IovaCache.Flush");
                    cache.Dispose();
                    cache.Dispose();
                }
            }),
            Task.Run(() =>
            {
                UseUntilDisposed(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Thread(domain, ledger, "thread"), mailbox, [1, 1, 2]));
                Task.WaitAll(disposerAndFlusher);

                // This thread's cache was open when Dispose sealed it: its hot path sees only the cache.
                AssertRefused(() => domain.FreeFast(SmallDomain.RoomyLimit, 1), "FreeFast on a sealed thread cache");
                AssertRefused(() => domain.TryAllocateFast(1, SmallDomain.RoomyLimit, false, out _), "TryAllocateFast on a sealed thread cache");
            }),
            Task.Run(() => UseUntilDisposed(() =>
            {
                SimulatedCpu cpu = domain.Cpu(0);
                FastPathScenarios.Churn(FastPathEndpoint.Cpu(cpu, ledger, "cpu0"), size: 1, count: 2);
                cpu.Flush();
            })),
        ];
        await Task.WhenAll([.. disposerAndFlusher, .. owners]);
        AssertDisposedForGood(domain, ledger);
    }

    private static async Task DisposeRacingDisposeAsync()
    {
        IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 1);
        Task[] workers = [Task.Run(domain.Dispose), Task.Run(domain.Dispose)];
        await Task.WhenAll(workers);

        // The next two domains would take these: one slot released twice comes back twice.
        int first = CacheSlots.Acquire(), second = CacheSlots.Acquire();
        CacheSlots.Release(second);
        CacheSlots.Release(first);
        Specification.Assert(first != second, "Slot {0} was handed out twice: both Dispose calls released it.", first);
        AssertRefused(() => domain.Allocate(1, SmallDomain.RoomyLimit), "Allocate");
    }

    /// <summary>After the race: every public operation throws ObjectDisposedException, and the tree holds what the workers kept.</summary>
    private static void AssertDisposedForGood(IovaDomain domain, OwnershipLedger ledger)
    {
        const ulong Limit = SmallDomain.RoomyLimit;
        AssertRefused(() => domain.TryAllocate(1, Limit, false, out _), "TryAllocate");
        AssertRefused(() => domain.Allocate(1, Limit), "Allocate");
        AssertRefused(() => domain.Free(Limit), "Free");
        AssertRefused(() => domain.Find(Limit), "Find");
        AssertRefused(() => domain.Reserve(400, 400), "Reserve");
        AssertRefused(() => domain.TryReserve(400, 400, out _), "TryReserve");
        AssertRefused(() => domain.GetRanges(), "GetRanges");
        AssertRefused(() => _ = domain.Count, "Count");
        AssertRefused(() => domain.GetStatistics(), "GetStatistics");
        AssertRefused(() => domain.CreateCache(), "CreateCache");
        AssertRefused(() => domain.Cpu(0), "Cpu");
        AssertRefused(domain.FlushCaches, "FlushCaches");
        AssertRefused(domain.FlushDepot, "FlushDepot");
        AssertRefused(() => domain.TrimDepot(), "TrimDepot");
        AssertRefused(() => domain.ReclaimDeadThreadCaches(), "ReclaimDeadThreadCaches");
        domain.Dispose();
        try
        {
            domain.CheckInvariants();
        }
        catch (InvalidOperationException broken)
        {
            Specification.Assert(false, "Tree invariant broken after Dispose: {0}", broken.Message);
        }

        // Ranges cached by calls that were already past their disposed check may stay in the dead tree; none may be missing.
        int held = ledger.Held().Length;
        Specification.Assert(domain.TreeCountIgnoringDisposal >= held, "The tree holds {0} ranges, the workers {1}.", domain.TreeCountIgnoringDisposal, held);
    }

    private static void AssertRefused(Action call, string what)
    {
        try
        {
            call();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        Specification.Assert(false, "{0} still answered after Dispose returned.", what);
    }

    // Runs the work; ObjectDisposedException is the one allowed failure. Anything else escapes and Coyote reports it.
    private static void UseUntilDisposed(Action work)
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
}
