using FastIova.Caches;
using FastIova.Tests.Concurrency.Infrastructure;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>
/// The lock-free magazine stack (the depot, and the pool of empty magazines) on its own: pushes and pops from several
/// threads, including the ABA shape that its version tag exists for.
/// </summary>
internal static class DepotScenarios
{
    /// <summary>
    /// Three magazines on the stack. One worker pops two and pushes the first back (pop, pop, push back: the top is
    /// the same magazine again, now linking elsewhere); the others pop and push back meanwhile. A pop that stalled
    /// between reading the head and its compare-and-swap must not install the stale link.
    /// </summary>
    public static readonly Scenario PopPopPushBack = new("Depot.PopPopPushBack", PopPopPushBackAsync);

    /// <summary>The same traffic with every plain memory access a scheduling point: catches non-atomic updates of the count.</summary>
    public static readonly Scenario PushPopRaceChecked = new("Depot.PushPopRaceChecked", PushPopRaceCheckedAsync, MemoryRaceChecking: true);

    private const int Magazines = 3;

    private static async Task PopPopPushBackAsync()
    {
        (MagazineStack depot, MagazineHolders holders) = Filled(Magazines);
        Task[] workers =
        [
            Task.Run(() =>
            {
                Magazine? first = holders.Pop(depot, "A");
                Magazine? second = holders.Pop(depot, "A");
                holders.Push(depot, first);
                holders.Push(depot, second);
            }),
            Task.Run(() => holders.Push(depot, holders.Pop(depot, "B"))),
            Task.Run(() => holders.Push(depot, holders.Pop(depot, "C"))),
        ];
        await Task.WhenAll(workers);
        holders.AssertAllBack(depot, Magazines);
    }

    private static async Task PushPopRaceCheckedAsync()
    {
        (MagazineStack depot, MagazineHolders holders) = Filled(2);
        Task[] workers =
        [
            Task.Run(() => holders.Push(depot, holders.Pop(depot, "A"))),
            Task.Run(() => holders.Push(depot, holders.Pop(depot, "B"))),
        ];
        await Task.WhenAll(workers);
        holders.AssertAllBack(depot, 2);
    }

    private static (MagazineStack Depot, MagazineHolders Holders) Filled(int magazines)
    {
        var pool = new MagazinePool(magazineSize: 2);
        var depot = new MagazineStack(pool);
        for (int i = 0; i < magazines; i++)
        {
            depot.Push(pool.Rent());
        }

        return (depot, new MagazineHolders());
    }

    /// <summary>Who holds which magazine: a magazine popped while another worker holds it was handed out twice.</summary>
    private sealed class MagazineHolders
    {
        private readonly object _gate = new();
        private readonly Dictionary<int, string> _holders = [];

        public Magazine? Pop(MagazineStack depot, string worker)
        {
            Magazine? magazine = depot.TryPop();
            if (magazine is not null)
            {
                lock (_gate)
                {
                    Specification.Assert(
                        _holders.TryAdd(magazine.Id, worker),
                        "Magazine {0} popped by {1} while {2} holds it: the depot handed it out twice.",
                        magazine.Id, worker, _holders.GetValueOrDefault(magazine.Id));
                }
            }

            return magazine;
        }

        public void Push(MagazineStack depot, Magazine? magazine)
        {
            if (magazine is null)
            {
                return;
            }

            lock (_gate)
            {
                _holders.Remove(magazine.Id);
            }

            depot.Push(magazine);
        }

        // With every worker done, the stack must hold each magazine exactly once and count them right.
        public void AssertAllBack(MagazineStack depot, int expected)
        {
            Specification.Assert(depot.Count == expected, "Count is {0} with {1} magazines pushed back.", depot.Count, expected);
            var seen = new HashSet<int>();
            for (int i = 0; i <= expected; i++)
            {
                Magazine? magazine = depot.TryPop();
                if (magazine is null)
                {
                    break;
                }

                Specification.Assert(seen.Add(magazine.Id), "Magazine {0} is on the stack twice: a stale link was installed.", magazine.Id);
            }

            Specification.Assert(seen.Count == expected, "{0} of {1} magazines are on the stack: the rest were lost.", seen.Count, expected);
            Specification.Assert(depot.Count == 0, "Count is {0} after popping everything.", depot.Count);
        }
    }
}
