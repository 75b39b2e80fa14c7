using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Flushes (explicit and failure-driven) racing the owners of the caches they empty.</summary>
internal static class FlushScenarios
{
    /// <summary>Two owners trade ranges through their caches while a third thread flushes every cache and the depot.</summary>
    public static readonly Scenario ExplicitRacingOwners = new("Flush.ExplicitRacingOwners", ExplicitRacingOwnersAsync);

    /// <summary>
    /// Two owners whose caches keep a spare magazine churn through the spare and the depot while a third thread
    /// flushes every cache and the depot.
    /// </summary>
    public static readonly Scenario SparesRacingOwners = new("Flush.SparesRacingOwners", SparesRacingOwnersAsync);

    /// <summary>
    /// A space of five aligned 2-pfn slots, all of it left in an earlier thread's cache. One worker allocates with
    /// flushCachesOnFailure while an owner allocates and frees through its own cache. The owner holds at most one
    /// range at a time, so after the flush at least four slots are free: the retry after the flush must succeed.
    /// </summary>
    public static readonly Scenario FailureDrivenRacingOwner = new("Flush.FailureDrivenRacingOwner", FailureDrivenRacingOwnerAsync);

    // Size-aligned 2-pfn slots between StartPfn 1 and pfn 11: [2,3] [4,5] [6,7] [8,9] [10,11].
    private const ulong TinyLimit = 11;
    private const int TinySlots = 5;
    private const ulong SlotSize = 2;

    private static async Task ExplicitRacingOwnersAsync()
    {
        // One-pfn magazines: nearly every free and allocation moves a magazine to or from the depot, inside the
        // owner's side of the handshake, which is where a flush that does not wait would collide with it.
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        Task[] workers =
        [
            Task.Run(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Thread(domain, ledger, "A"), mailbox, [1, 1, 2, 1])),
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 1, count: 4)),
            Task.Run(() =>
            {
                // Four flushes of the owners' caches: one of them lands inside an owner's handshake under every
                // strategy, not only under those that keep one operation running for long.
                domain.FlushCaches();
                domain.FlushDepot();
                domain.FlushCaches();
                domain.FlushCaches();
                domain.FlushCaches();
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task SparesRacingOwnersAsync()
    {
        // One-pfn magazines with a spare: the third free swaps a full magazine into the spare, the fourth pushes one to
        // the depot, and the allocations take them back in the other order, all inside the owner's side of the
        // handshake, where a flush empties the spare with the other magazines.
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 1, spareMagazines: true);
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "A"), size: 1, count: 5)),
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 1, count: 4)),
            Task.Run(() =>
            {
                domain.FlushCaches();
                domain.FlushDepot();
                domain.FlushCaches();
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task FailureDrivenRacingOwnerAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 2, sizeClasses: 2);
        var ledger = new OwnershipLedger();

        // Fill the whole space and free it into one thread's cache (two magazines and one in the depot).
        await Task.Run(() =>
        {
            FastPathEndpoint filler = FastPathEndpoint.Thread(domain, ledger, "filler");
            var all = new List<IovaRange>();
            for (int i = 0; i < TinySlots; i++)
            {
                IovaRange? range = filler.Take(SlotSize, TinyLimit);
                Specification.Assert(range is not null, "The empty space refused slot {0} of {1}.", i, TinySlots);
                all.Add(range!.Value);
            }

            Specification.Assert(filler.Take(SlotSize, TinyLimit) is null, "A sixth 2-pfn slot fitted in a five-slot space.");
            all.ForEach(filler.Give);
        });

        Task[] workers =
        [
            Task.Run(() =>
            {
                FastPathEndpoint flusher = FastPathEndpoint.Thread(domain, ledger, "flusher");
                for (int i = 0; i < 2; i++)
                {
                    IovaRange? range = flusher.Take(SlotSize, TinyLimit, flushCachesOnFailure: true);
                    Specification.Assert(range is not null, "The allocation failed after its flush, round {0}: the flush left cached ranges out of the tree.", i);
                    flusher.Give(range!.Value);
                }
            }),
            Task.Run(() =>
            {
                FastPathEndpoint owner = FastPathEndpoint.Thread(domain, ledger, "owner");
                for (int i = 0; i < 3; i++)
                {
                    if (owner.Take(SlotSize, TinyLimit) is IovaRange range)
                    {
                        owner.Give(range);
                    }
                }
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }
}
