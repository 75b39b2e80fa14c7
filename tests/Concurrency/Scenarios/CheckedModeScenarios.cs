using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Checked mode (<see cref="IovaDomainOptions.Checked"/>) under races: legal frees are never refused.</summary>
internal static class CheckedModeScenarios
{
    /// <summary>
    /// Two threads share a simulated CPU's cache and free each other's ranges through it, while a third uses its own
    /// cache and the tree. Checked mode's record of cached pfns must follow every cache move: a legal free that it
    /// refuses as a double free means the record and the caches disagreed for a moment.
    /// </summary>
    public static readonly Scenario SharedCpuRacingFrees = new("Checked.SharedCpuRacingFrees", SharedCpuRacingFreesAsync);

    private static async Task SharedCpuRacingFreesAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 2, isChecked: true);
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        SimulatedCpu cpu = domain.Cpu(0);
        Task[] workers =
        [
            Task.Run(() => LegalOnly(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Cpu(cpu, ledger, "cpu0/A"), mailbox, [1, 1, 1]))),
            Task.Run(() => LegalOnly(() => FastPathScenarios.Churn(FastPathEndpoint.Cpu(cpu, ledger, "cpu0/B"), size: 1, count: 2))),
            Task.Run(() => LegalOnly(() =>
            {
                FastPathScenarios.TradeRanges(FastPathEndpoint.Thread(domain, ledger, "thread"), mailbox, [2, 1]);
                IovaRange range = domain.Allocate(3, SmallDomain.RoomyLimit);
                Specification.Assert(domain.Free(range.PfnLo), "Free of the live range {0} returned false.", range);
            })),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static void LegalOnly(Action work)
    {
        try
        {
            work();
        }
        catch (InvalidOperationException refused)
        {
            Specification.Assert(false, "Checked mode refused a legal operation: {0}", refused.Message);
        }
    }
}
