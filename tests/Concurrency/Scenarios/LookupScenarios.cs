using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>
/// The read-only tree operations (Find, GetRanges, Count, GetStatistics) and Reserve racing the tree's writers, with
/// memory race checking: tree code has no scheduling points of its own, so without it a lookup that skipped the tree
/// lock would still run atomically under Coyote and never be seen torn.
/// </summary>
internal static class LookupScenarios
{
    /// <summary>
    /// R's range is freed while a reader looks it up and a third worker allocates and frees below it (rebalancing the
    /// tree and reusing freed nodes). Each Find must return R's range or null: never a torn or a foreign range.
    /// </summary>
    public static readonly Scenario FindRacingFree = new("Lookup.FindRacingFreeRaceChecked", FindRacingFreeAsync, MemoryRaceChecking: true);

    /// <summary>Reserve above the allocators' limit racing an allocator, field by field: the reserves and the allocations stay exact.</summary>
    public static readonly Scenario ReserveRacingAllocate = new("Lookup.ReserveRacingAllocateRaceChecked", ReserveRacingAllocateAsync, MemoryRaceChecking: true);

    /// <summary>
    /// An observer takes statistics, the range list and the count while a worker allocates and frees 2-pfn ranges
    /// through the tree. Every snapshot must describe one tree: allocations - frees = live ranges, live pfns = 2 x live
    /// ranges, no counter negative; the range list sorted, disjoint, and holding the observer's own range.
    /// </summary>
    public static readonly Scenario SnapshotsRacingTree = new("Lookup.SnapshotsRacingTreeRaceChecked", SnapshotsRacingTreeAsync, MemoryRaceChecking: true);

    // The allocators stay below this limit; R and the reserves lie above it, so nobody else can land on their pfns.
    private const ulong LowLimit = 100;
    private const ulong RangeSize = 2;

    private static async Task FindRacingFreeAsync()
    {
        using IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        IovaRange r = domain.Allocate(4, SmallDomain.RoomyLimit);
        IovaRange low = domain.Allocate(1, LowLimit);
        ledger.Claim(low, "setup");
        Task[] workers =
        [
            Task.Run(() => Specification.Assert(domain.Free(r.PfnLo), "Free of the live range {0} returned false.", r)),
            Task.Run(() =>
            {
                // Several lookups, so that one overlaps the free's removal and rebalancing whatever the schedule.
                foreach (ulong pfn in new[] { r.PfnLo, r.PfnHi, r.PfnLo + 1, r.PfnHi - 1 })
                {
                    IovaRange? seen = domain.Find(pfn);
                    Specification.Assert(seen is null || seen == r, "Find({0}) racing the free of {1} returned {2}.", pfn, r, seen);
                }
            }),
            Task.Run(() =>
            {
                ledger.Release(low);
                domain.Free(low.PfnLo);
                IovaRange again = domain.Allocate(RangeSize, LowLimit);
                ledger.Claim(again, "C");
            }),
        ];
        await Task.WhenAll(workers);
        Specification.Assert(domain.Find(r.PfnLo) is null, "Find({0}) after the free returned {1}.", r.PfnLo, domain.Find(r.PfnLo));
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task ReserveRacingAllocateAsync()
    {
        using IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() =>
            {
                IovaRange first = domain.Allocate(RangeSize, LowLimit);
                ledger.Claim(first, "A");
                ledger.Claim(domain.Allocate(1, LowLimit), "A");
                ledger.Release(first);
                domain.Free(first.PfnLo);
            }),
            Task.Run(() =>
            {
                Specification.Assert(domain.TryReserve(150, 151, out IovaRange reserved) && reserved == new IovaRange(150, 151), "TryReserve(150, 151) gave {0}.", reserved);
                ledger.Claim(reserved, "R");
                IovaRange second = domain.Reserve(130, 130);
                Specification.Assert(second == new IovaRange(130, 130), "Reserve(130, 130) gave {0}.", second);
                ledger.Claim(second, "R");
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger, allocationsBalanceFrees: false);
    }

    private static async Task SnapshotsRacingTreeAsync()
    {
        using IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        IovaRange mine = domain.Allocate(RangeSize, SmallDomain.RoomyLimit);
        ledger.Claim(mine, "observer");
        Task[] workers =
        [
            Task.Run(() => AllocateTwoFreeOne(domain, ledger, "A")),
            Task.Run(() =>
            {
                // Twice each, so that one of them overlaps one of the worker's tree updates whatever the schedule.
                for (int round = 0; round < 2; round++)
                {
                    CheckSnapshot(domain.GetStatistics());
                    CheckRanges(domain.GetRanges(), mine);
                }

                int count = domain.Count;
                Specification.Assert(count is >= 1 and <= 3, "Count is {0} with 1 to 3 ranges live.", count);
            }),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static void AllocateTwoFreeOne(IovaDomain domain, OwnershipLedger ledger, string owner)
    {
        IovaRange first = domain.Allocate(RangeSize, LowLimit);
        ledger.Claim(first, owner);
        ledger.Claim(domain.Allocate(RangeSize, LowLimit), owner);
        ledger.Release(first);
        Specification.Assert(domain.Free(first.PfnLo), "Free of {0}'s live range {1} returned false.", owner, first);
    }

    // A copy of a tree that only ever held 2-pfn ranges, among them the observer's own.
    private static void CheckRanges(IovaRange[] ranges, IovaRange mine)
    {
        Specification.Assert(ranges.Length <= 3, "GetRanges holds {0} ranges with at most 3 live.", ranges.Length);
        for (int i = 0; i < ranges.Length; i++)
        {
            Specification.Assert(ranges[i].Size == RangeSize, "GetRanges holds {0}, but every range has {1} pfns.", ranges[i], RangeSize);
            Specification.Assert(i == 0 || ranges[i - 1].PfnHi < ranges[i].PfnLo, "GetRanges is not sorted and disjoint: {0}.", string.Join(" ", ranges));
        }

        Specification.Assert(ranges.Contains(mine), "GetRanges {0} lacks the observer's live range {1}.", string.Join(" ", ranges), mine);
    }

    // A snapshot of a tree that only ever held 2-pfn ranges, all allocated (no reserves).
    private static void CheckSnapshot(IovaStatistics s)
    {
        Specification.Assert(
            s.LiveRanges >= 0 && s.TreeAllocations >= 0 && s.TreeFrees >= 0 && s.FailuresExhausted == 0 && s.Failures32BitHint == 0,
            "A snapshot with impossible counters: {0}.", s);

        // Every contended entry is one of the tree lock's entries: the allocations and frees, and at most four reads
        // (the observer's two snapshots and two copies; Count takes no lock).
        Specification.Assert(
            s.TreeLockContentions >= 0 && s.TreeLockContentions <= s.TreeAllocations + s.TreeFrees + 4,
            "A snapshot with more contended tree-lock entries than entries: {0}.", s);
        Specification.Assert(s.TreeAllocations - s.TreeFrees == s.LiveRanges, "Torn snapshot: allocations {0} - frees {1} != live ranges {2}.", s.TreeAllocations, s.TreeFrees, s.LiveRanges);
        Specification.Assert(s.LivePfns == RangeSize * (ulong)s.LiveRanges, "Torn snapshot: {0} live pfns in {1} ranges of {2}.", s.LivePfns, s.LiveRanges, RangeSize);

        // The allocator updates these two in adjacent statements, and a snapshot reads them in adjacent ones: torn
        // there, the snapshot's reader was paused for a step or two, which every strategy tries often.
        Specification.Assert(
            s.LivePfns == RangeSize * (ulong)(s.TreeAllocations - s.TreeFrees),
            "Torn snapshot: {0} live pfns after {1} allocations and {2} frees of {3} pfns.", s.LivePfns, s.TreeAllocations, s.TreeFrees, RangeSize);
    }
}
