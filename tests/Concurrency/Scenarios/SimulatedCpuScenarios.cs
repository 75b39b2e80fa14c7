using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Simulated CPUs are not bound to a thread: any thread may use any CPU's cache, so each must be locked.</summary>
internal static class SimulatedCpuScenarios
{
    /// <summary>
    /// Two threads share CPU 0, a third uses CPU 1 and frees what CPU 0's users post, and a fourth flushes both CPUs.
    /// </summary>
    public static readonly Scenario SharedByThreads = new("SimulatedCpu.SharedByThreads", SharedByThreadsAsync);

    private static async Task SharedByThreadsAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 2, magazineSize: 2, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        SimulatedCpu cpu0 = domain.Cpu(0);
        SimulatedCpu cpu1 = domain.Cpu(1);
        Task[] workers =
        [
            Task.Run(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Cpu(cpu0, ledger, "cpu0/A"), mailbox, [1, 1, 2])),
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Cpu(cpu0, ledger, "cpu0/B"), size: 1, count: 3)),
            Task.Run(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Cpu(cpu1, ledger, "cpu1/C"), mailbox, [2, 1, 1])),
            Task.Run(() =>
            {
                cpu0.Flush();
                cpu1.Flush();
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }
}
