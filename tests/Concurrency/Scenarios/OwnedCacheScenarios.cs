using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Owned caches (<see cref="IovaCache"/>): used, handed over and disposed while flushes and thread caches run.</summary>
internal static class OwnedCacheScenarios
{
    /// <summary>
    /// An owned cache trades ranges with a thread cache while a third thread flushes everything; then the owner flushes
    /// and disposes its cache while the flusher flushes again, so that the cache's own flushes race FlushCaches.
    /// </summary>
    public static readonly Scenario DisposeRacingFlush = new("OwnedCache.DisposeRacingFlush", DisposeRacingFlushAsync);

    /// <summary>
    /// With memory race checking: an owned cache's own Flush against FlushCaches, while a third worker allocates from
    /// the tree. Two flushes emptying the same cache at once would free its ranges twice, and the second free could
    /// hit a range the third worker has just been given.
    /// </summary>
    public static readonly Scenario FlushRacingFlushRaceChecked = new("OwnedCache.FlushRacingFlushRaceChecked", FlushRacingFlushRaceCheckedAsync, MemoryRaceChecking: true);

    /// <summary>An owned cache moves from one task to another (an await is the hand-over) while a flusher runs.</summary>
    public static readonly Scenario HandOverRacingFlush = new("OwnedCache.HandOverRacingFlush", HandOverRacingFlushAsync);

    private static async Task DisposeRacingFlushAsync()
    {
        // One-pfn magazines: nearly every operation moves a magazine to or from the depot inside the owner's handshake.
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        Task[] workers =
        [
            Task.Run(() =>
            {
                var cache = domain.CreateCache();
                var owned = FastPathEndpoint.Owned(cache, ledger, "owned");
                FastPathScenarios.TradeRanges(owned, mailbox, [1, 2, 1]);
                cache.Flush();
                FastPathScenarios.TradeRanges(owned, mailbox, [1]);
                cache.Dispose();
            }),
            Task.Run(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Thread(domain, ledger, "thread"), mailbox, [2, 1, 1])),
            Task.Run(() =>
            {
                domain.FlushCaches();
                domain.FlushCaches();
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task FlushRacingFlushRaceCheckedAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 2, sizeClasses: 1);
        var ledger = new OwnershipLedger();
        using IovaCache cache = domain.CreateCache();
        var owned = FastPathEndpoint.Owned(cache, ledger, "owned");
        IovaRange first = FastPathScenarios.TakeOrFail(owned, 1), second = FastPathScenarios.TakeOrFail(owned, 1);
        owned.Give(first);
        owned.Give(second);

        Task[] workers =
        [
            Task.Run(cache.Flush),
            Task.Run(domain.FlushCaches),
            Task.Run(() =>
            {
                var tree = FastPathEndpoint.Thread(domain, ledger, "tree");
                FastPathScenarios.TakeOrFail(tree, 1);
                FastPathScenarios.TakeOrFail(tree, 1);
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task HandOverRacingFlushAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 2, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        using IovaCache cache = domain.CreateCache();
        Task flusher = Task.Run(() =>
        {
            domain.FlushCaches();
            domain.TrimDepot();
            domain.FlushCaches();
        });

        var endpoint = FastPathEndpoint.Owned(cache, ledger, "owned");
        var held = new List<IovaRange>();
        await Task.Run(() => held.Add(FastPathScenarios.TakeOrFail(endpoint, 1)));
        await Task.Run(() =>
        {
            endpoint.Give(held[0]);
            FastPathScenarios.Churn(endpoint, size: 1, count: 3);
        });
        await flusher;
        DomainAudit.AssertNothingLost(domain, ledger);
    }
}
