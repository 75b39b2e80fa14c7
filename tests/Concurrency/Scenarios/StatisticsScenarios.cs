using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Statistics of the caches taken while the fast path moves magazines and caches are reclaimed.</summary>
internal static class StatisticsScenarios
{
    /// <summary>
    /// Two owners move one-pfn magazines to and from the depot; an observer takes snapshots. Per class, depot sizes,
    /// hits and misses are never negative and never go back between one observer's snapshots. Once the owners are
    /// done, hits + misses = the fast allocations made (each counts exactly once).
    /// </summary>
    public static readonly Scenario SnapshotsRacingFastPath = new("Statistics.SnapshotsRacingFastPath", SnapshotsRacingFastPathAsync);

    /// <summary>
    /// A thread caches ranges and exits; its cache is reclaimed while an observer takes snapshots. A reclaimed cache's
    /// hits and misses move from the live caches to the retired totals: a snapshot must never see them in neither
    /// (the counters would go back) nor in both.
    /// </summary>
    public static readonly Scenario SnapshotsRacingReclaim = new("Statistics.SnapshotsRacingReclaim", SnapshotsRacingReclaimAsync);

    private const int ChurnCount = 3;

    private static async Task SnapshotsRacingFastPathAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "A"), size: 1, count: ChurnCount)),
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 1, count: ChurnCount)),
            Task.Run(() => ObserveMonotonic(domain, snapshots: 3)),
        ];
        await Task.WhenAll(workers);

        // Churn takes count ranges twice per owner; each fast allocation is one hit or one miss.
        IovaStatistics end = domain.GetStatistics();
        Specification.Assert(
            end.CacheHits + end.CacheMisses == 2 * 2 * ChurnCount,
            "{0} hits + {1} misses after {2} fast allocations.", end.CacheHits, end.CacheMisses, 2 * 2 * ChurnCount);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task SnapshotsRacingReclaimAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        var exited = new Thread(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "T"), size: 1, count: 2));
        exited.Start();
        exited.Join();

        Task[] workers =
        [
            Task.Run(() => domain.ReclaimDeadThreadCaches()),
            Task.Run(() => ObserveMonotonic(domain, snapshots: 2)),
        ];
        await Task.WhenAll(workers);
        IovaStatistics end = domain.GetStatistics();
        Specification.Assert(end.CacheHits + end.CacheMisses == 4, "{0} hits + {1} misses after 4 fast allocations.", end.CacheHits, end.CacheMisses);
        Specification.Assert(end.ThreadCaches == 0 && end.ReclaimedThreadCaches == 1, "{0} thread caches, {1} reclaimed, after the only thread exited.", end.ThreadCaches, end.ReclaimedThreadCaches);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    // Takes snapshots; per class, nothing is negative and hits and misses never decrease.
    private static void ObserveMonotonic(IovaDomain domain, int snapshots)
    {
        IovaStatistics? previous = null;
        for (int i = 0; i < snapshots; i++)
        {
            IovaStatistics s = domain.GetStatistics();
            Specification.Assert(s.FastFailures >= 0 && s.Flushes >= 0 && s.TrimmedMagazines >= 0 && s.ThreadCaches >= 0 && s.ReclaimedThreadCaches >= 0, "Negative counters: {0}.", s);
            foreach (SizeClassStatistics c in s.SizeClasses)
            {
                Specification.Assert(c.Hits >= 0 && c.Misses >= 0 && c.DepotMagazines >= 0, "Class {0} has negative counters: {1}.", c.SizeClass, c);
                if (previous is not null)
                {
                    SizeClassStatistics before = previous.SizeClasses[c.SizeClass];
                    Specification.Assert(c.Hits >= before.Hits && c.Misses >= before.Misses, "Class {0} went back: {1} -> {2}.", c.SizeClass, before, c);
                }
            }

            previous = s;
        }
    }
}
