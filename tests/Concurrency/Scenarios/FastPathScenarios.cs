using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>The per-thread fast path: magazines that overflow into the depot, and ranges freed by another thread.</summary>
internal static class FastPathScenarios
{
    /// <summary>
    /// Three workers allocate through their own caches, free half of what they take themselves and post the other half
    /// to a mailbox, from which the others free it: every range freed on a thread that did not allocate it.
    /// </summary>
    public static readonly Scenario CrossThreadFree = new("FastPath.CrossThreadFree", CrossThreadFreeAsync);

    /// <summary>
    /// Workers free more than two magazines hold, so full magazines go to the depot, then allocate again and pull
    /// them back: depot pushes and pops from several threads at once.
    /// </summary>
    public static readonly Scenario DepotExchange = new("FastPath.DepotExchange", DepotExchangeAsync);

    private static async Task CrossThreadFreeAsync()
    {
        using IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        var mailbox = new Mailbox();
        Task[] workers =
        [
            Task.Run(() => TradeRanges(FastPathEndpoint.Thread(domain, ledger, "A"), mailbox, [1, 2, 1])),
            Task.Run(() => TradeRanges(FastPathEndpoint.Thread(domain, ledger, "B"), mailbox, [2, 1, 4])),
            Task.Run(() => TradeRanges(FastPathEndpoint.Thread(domain, ledger, "C"), mailbox, [1, 1, 2])),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task DepotExchangeAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 2, sizeClasses: 2);
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => Churn(FastPathEndpoint.Thread(domain, ledger, "A"), size: 1, count: 5)),
            Task.Run(() => Churn(FastPathEndpoint.Thread(domain, ledger, "B"), size: 1, count: 5)),
            Task.Run(() => Churn(FastPathEndpoint.Thread(domain, ledger, "C"), size: 2, count: 3)),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    /// <summary>Takes a range of each size, keeps the odd ones for the mailbox, frees its own and one from the mailbox.</summary>
    internal static void TradeRanges(FastPathEndpoint endpoint, Mailbox mailbox, ulong[] sizes)
    {
        for (int i = 0; i < sizes.Length; i++)
        {
            IovaRange range = TakeOrFail(endpoint, sizes[i]);
            if (i % 2 == 0)
            {
                mailbox.Post(range);
            }
            else
            {
                endpoint.Give(range);
            }

            if (mailbox.TryTake(out IovaRange foreign))
            {
                endpoint.Give(foreign);
            }
        }
    }

    /// <summary>Takes <paramref name="count"/> ranges, gives them all back, takes them again and keeps one.</summary>
    internal static void Churn(FastPathEndpoint endpoint, ulong size, int count)
    {
        var held = new List<IovaRange>(count);
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < count; i++)
            {
                held.Add(TakeOrFail(endpoint, size));
            }

            int keep = round == 0 ? 0 : 1;
            while (held.Count > keep)
            {
                endpoint.Give(held[^1]);
                held.RemoveAt(held.Count - 1);
            }
        }
    }

    /// <summary>A fast allocation far below the limit's capacity: failing it is a bug.</summary>
    internal static IovaRange TakeOrFail(FastPathEndpoint endpoint, ulong size)
    {
        IovaRange? range = endpoint.Take(size);
        Specification.Assert(range is not null, "A fast allocation of {0} pfns failed with room to spare.", size);
        return range!.Value;
    }
}
