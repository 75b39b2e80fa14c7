using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>The locked tree on its own: Allocate, Free, Find and Reserve from several workers on one domain.</summary>
internal static class TreeScenarios
{
    /// <summary>Three workers allocate (aligned and not), look their ranges up, free some and keep some.</summary>
    public static readonly Scenario AllocateFindFree = new("Tree.AllocateFindFree", AllocateFindFreeAsync);

    /// <summary>Reserve above the allocators' limit while they allocate and free below it.</summary>
    public static readonly Scenario ReserveRacingAllocate = new("Tree.ReserveRacingAllocate", ReserveRacingAllocateAsync);

    /// <summary>
    /// Two workers allocate and free through the tree with every plain memory access a scheduling point, so that tree
    /// code run outside the tree lock interleaves at field granularity (without it, lock-free stretches of plain code
    /// run atomically under Coyote).
    /// </summary>
    public static readonly Scenario AllocateFreeRaceChecked = new("Tree.AllocateFreeRaceChecked", AllocateFreeRaceCheckedAsync, MemoryRaceChecking: true);

    // Reserved ranges lie above this limit: reserve_iova merges with overlapping ranges, so keeping them apart keeps
    // the expected tree exact.
    private const ulong AllocationLimit = 127;

    private static async Task AllocateFindFreeAsync()
    {
        using IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => Allocate(domain, ledger, "A", [1, 3, 2], sizeAligned: false)),
            Task.Run(() => Allocate(domain, ledger, "B", [2, 4, 1], sizeAligned: true)),
            Task.Run(() => Allocate(domain, ledger, "C", [5, 1, 8], sizeAligned: true)),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task AllocateFreeRaceCheckedAsync()
    {
        using IovaDomain domain = SmallDomain.Create(cpuCount: 1, magazineSize: 1, sizeClasses: 1);
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => FastPathScenarios.Churn(FastPathEndpoint.Thread(domain, ledger, "A"), size: 2, count: 2)),
            Task.Run(() => Allocate(domain, ledger, "B", [1, 2], sizeAligned: true)),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger);
    }

    private static async Task ReserveRacingAllocateAsync()
    {
        using IovaDomain domain = SmallDomain.Create();
        var ledger = new OwnershipLedger();
        Task[] workers =
        [
            Task.Run(() => Allocate(domain, ledger, "A", [1, 2], sizeAligned: true)),
            Task.Run(() => Allocate(domain, ledger, "B", [3, 1], sizeAligned: false)),
            Task.Run(() => Reserve(domain, ledger, "R", [(150, 159), (130, 131), (200, 200)])),
        ];
        await Task.WhenAll(workers);
        DomainAudit.AssertNothingLost(domain, ledger, allocationsBalanceFrees: false);
    }

    // Allocates each size, checks the range through Find, frees every other one and keeps the rest.
    private static void Allocate(IovaDomain domain, OwnershipLedger ledger, string owner, ulong[] sizes, bool sizeAligned)
    {
        for (int i = 0; i < sizes.Length; i++)
        {
            ulong size = sizes[i];
            Specification.Assert(domain.TryAllocate(size, AllocationLimit, sizeAligned, out IovaRange range), "{0} could not allocate {1} pfns with room to spare.", owner, size);
            ledger.Claim(range, owner);
            Specification.Assert(range.Size == size && range.PfnHi <= AllocationLimit && range.PfnLo >= SmallDomain.StartPfn, "{0} asked for {1} pfns and got {2}.", owner, size, range);
            if (sizeAligned && ulong.IsPow2(size))
            {
                Specification.Assert(range.PfnLo % size == 0, "{0} asked for {1} aligned pfns and got {2}.", owner, size, range);
            }

            Specification.Assert(domain.Find(range.PfnHi) == range, "Find({0}) does not return {1}'s range {2}.", range.PfnHi, owner, range);
            if (i % 2 == 0)
            {
                ledger.Release(range);
                Specification.Assert(domain.Free(range.PfnLo), "Free({0}) of {1}'s live range returned false.", range.PfnLo, owner);
            }
        }
    }

    private static void Reserve(IovaDomain domain, OwnershipLedger ledger, string owner, (ulong Lo, ulong Hi)[] spans)
    {
        foreach ((ulong lo, ulong hi) in spans)
        {
            IovaRange reserved = domain.Reserve(lo, hi);
            Specification.Assert(reserved == new IovaRange(lo, hi), "Reserve({0}, {1}) returned {2}.", lo, hi, reserved);
            ledger.Claim(reserved, owner);
            Specification.Assert(domain.Find(lo) == reserved, "Find({0}) misses the reserved {1}.", lo, reserved);

            // Below the reserves the allocators come and go: whatever Find sees there must at least contain the pfn.
            IovaRange? seen = domain.Find(AllocationLimit);
            Specification.Assert(seen is null || seen.Value.Contains(AllocationLimit), "Find({0}) returned {1}.", AllocationLimit, seen);
        }
    }
}
