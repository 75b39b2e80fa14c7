using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Dispose racing use: every call either completes or throws ObjectDisposedException, and nothing is handed out twice.</summary>
internal static class DisposeScenarios
{
    /// <summary>Two workers use the fast path and the tree while two others dispose the domain.</summary>
    public static readonly Scenario DisposeRacingUse = new("Dispose.DisposeRacingUse", DisposeRacingUseAsync);

    private static async Task DisposeRacingUseAsync()
    {
        IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        Task[] workers =
        [
            Task.Run(() => UseUntilDisposed(() => FastPathScenarios.TradeRanges(FastPathEndpoint.Thread(domain, ledger, "A"), mailbox, [1, 2, 1]))),
            Task.Run(() => UseUntilDisposed(() =>
            {
                IovaRange range = domain.Allocate(3, SmallDomain.RoomyLimit);
                ledger.Claim(range, "B");
                Specification.Assert(domain.Find(range.PfnLo) == range, "Find misses B's live range {0}.", range);
                ledger.Release(range);
                Specification.Assert(domain.Free(range.PfnLo), "Free of B's live range {0} returned false.", range);
                FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 1, count: 3);
            })),
            Task.Run(domain.Dispose),
            Task.Run(domain.Dispose),
        ];
        await Task.WhenAll(workers);

        // Once disposed, stays disposed.
        bool refused = false;
        try
        {
            domain.TryAllocateFast(1, SmallDomain.RoomyLimit, false, out _);
        }
        catch (ObjectDisposedException)
        {
            refused = true;
        }

        Specification.Assert(refused, "The domain still answered after both Dispose calls returned.");
    }

    // Runs the work; ObjectDisposedException is the one allowed failure. Anything else escapes and Coyote reports it.
    private static void UseUntilDisposed(Action work)
    {
        try
        {
            work();
        }
        catch (ObjectDisposedException)
        {
            // The defined outcome for a call that loses the race with Dispose.
        }
    }
}
