using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Depot trimming (the kernel's delayed depot_trim work) racing fast-path traffic that fills and drains the depot.</summary>
internal static class TrimScenarios
{
    /// <summary>Two owners push full magazines to the depot and pull them back while a third thread trims it (with magazines to trim).</summary>
    public static readonly Scenario TrimRacingFastPath = new("Trim.TrimRacingFastPath", TrimRacingFastPathAsync);

    private static async Task TrimRacingFastPathAsync()
    {
        // The trim keeps one spare magazine per cache: two thread caches here, so it frees a magazine whenever the
        // depot holds three. One-pfn magazines and one class: every free past the first two pushes a magazine to the
        // depot, every allocation past them pulls one back, and each overflow rents a magazine from the pool that a
        // trim has just returned to it.
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 1);
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "A"), size: 1, count: 5)),
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 1, count: 4)),
            Task.Run(() =>
            {
                for (int i = 0; i < 3; i++)
                {
                    domain.TrimDepot();
                }
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }
}
