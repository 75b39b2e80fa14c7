using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Depot trimming (the kernel's delayed depot_trim work) racing fast-path traffic that fills and drains the depot.</summary>
internal static class TrimScenarios
{
    /// <summary>Two owners push full magazines to the depot and pull them back while a third thread trims it.</summary>
    public static readonly Scenario TrimRacingFastPath = new("Trim.TrimRacingFastPath", TrimRacingFastPathAsync);

    private static async Task TrimRacingFastPathAsync()
    {
        // One CPU: the trim keeps at most one spare magazine, so every trim with two or more in the depot frees some.
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 2, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "A"), size: 1, count: 6)),
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 2, count: 5)),
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
