using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Owned caches (<see cref="IovaCache"/>): used, handed over and disposed while flushes and thread caches run.</summary>
internal static class OwnedCacheScenarios
{
    /// <summary>
    /// An owned cache trades ranges with a thread cache while a third thread flushes everything; then the owner
    /// disposes its cache while the flusher flushes again, so that Dispose's own flush races FlushCaches.
    /// </summary>
    public static readonly Scenario DisposeRacingFlush = new("OwnedCache.DisposeRacingFlush", DisposeRacingFlushAsync);

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
                FastPathScenarios.TradeRanges(FastPathEndpoint.Owned(cache, ledger, "owned"), mailbox, [1, 2, 1, 1]);
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
