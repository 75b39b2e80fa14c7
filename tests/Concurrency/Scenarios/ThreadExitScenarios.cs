using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Threads that fill their caches and exit, while flushes run: the caches of exited threads must not be lost.</summary>
internal static class ThreadExitScenarios
{
    /// <summary>Two threads cache ranges and exit while a flusher runs; one range each outlives its thread via the mailbox.</summary>
    public static readonly Scenario ExitRacingFlush = new("ThreadExit.ExitRacingFlush", ExitRacingFlushAsync);

    private static async Task ExitRacingFlushAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 2, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        Thread[] threads =
        [
            new Thread(() => CacheAndExit(FastPathEndpoint.Thread(domain, ledger, "T1"), mailbox)),
            new Thread(() => CacheAndExit(FastPathEndpoint.Thread(domain, ledger, "T2"), mailbox)),
        ];
        Array.ForEach(threads, t => t.Start());
        Task flusher = Task.Run(domain.FlushCaches);
        Array.ForEach(threads, t => t.Join());
        await flusher;

        // A survivor frees the ranges the exited threads left behind, through its own cache.
        await Task.Run(() =>
        {
            FastPathEndpoint survivor = FastPathEndpoint.Thread(domain, ledger, "survivor");
            while (mailbox.TryTake(out IovaRange range))
            {
                survivor.Give(range);
            }
        });
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    // Leaves three ranges in the thread's cache (a full magazine and one more) and one in the mailbox.
    private static void CacheAndExit(FastPathEndpoint endpoint, Mailbox mailbox)
    {
        FastPathScenarios.Churn(endpoint, size: 1, count: 3);
        mailbox.Post(FastPathScenarios.TakeOrFail(endpoint, 2));
    }
}
