using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Reclaiming the caches of exited threads while flushes and live owners run.</summary>
internal static class ReclamationScenarios
{
    /// <summary>
    /// T1 caches ranges and exits; reclamation of dead threads' caches then races a full flush while T2 (alive) still
    /// allocates and frees through its own cache. Whichever wins, every range comes back exactly once.
    /// </summary>
    public static readonly Scenario ReclaimRacingFlush = new("Reclamation.ReclaimRacingFlush", ReclaimRacingFlushAsync);

    private static async Task ReclaimRacingFlushAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        var exited = new Thread(() =>
        {
            FastPathEndpoint endpoint = FastPathEndpoint.Thread(domain, ledger, "T1");
            FastPathScenarios.Churn(endpoint, size: 1, count: 3);
            mailbox.Post(FastPathScenarios.TakeOrFail(endpoint, 1));
        });
        exited.Start();
        exited.Join();

        var alive = new Thread(() =>
        {
            FastPathEndpoint endpoint = FastPathEndpoint.Thread(domain, ledger, "T2");
            FastPathScenarios.Churn(endpoint, size: 1, count: 3);
            if (mailbox.TryTake(out IovaRange orphan))
            {
                endpoint.Give(orphan); // T1's range, freed into T2's cache
            }
        });
        alive.Start();
        Task[] workers = [Task.Run(() => domain.ReclaimDeadThreadCaches()), Task.Run(domain.FlushCaches)];
        await Task.WhenAll(workers);
        alive.Join();
        domain.ReclaimDeadThreadCaches();

        // Every thread cache is either still registered or reclaimed, never both or neither: T1 and T2 made one each.
        IovaStatistics stats = domain.GetStatistics();
        Specification.Assert(
            stats.ThreadCaches + stats.ReclaimedThreadCaches == 2,
            "{0} registered + {1} reclaimed thread caches, but two threads used the fast path.", stats.ThreadCaches, stats.ReclaimedThreadCaches);
        DomainAudit.AssertNothingLost(domain, ledger);
    }
}
