using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Model;

/// <summary>The end-of-scenario check: after every worker has finished, nothing is lost and the counters agree.</summary>
internal static class DomainAudit
{
    /// <summary>
    /// Flushes every cache, then asserts that the tree is valid and holds exactly the ranges the workers still hold,
    /// and that the statistics describe that tree.
    /// </summary>
    /// <param name="domain">The domain, quiescent.</param>
    /// <param name="ledger">What the workers hold.</param>
    /// <param name="allocationsBalanceFrees">
    /// Also assert TreeAllocations - TreeFrees == LiveRanges (false where Reserve put ranges in the tree).
    /// </param>
    public static void AssertNothingLost(IovaDomain domain, OwnershipLedger ledger, bool allocationsBalanceFrees = true)
    {
        domain.FlushCaches();
        try
        {
            domain.CheckInvariants();
        }
        catch (InvalidOperationException broken)
        {
            Specification.Assert(false, "Tree invariant broken: {0}", broken.Message);
        }

        IovaRange[] tree = domain.GetRanges();
        IovaRange[] held = ledger.Held();
        Specification.Assert(
            tree.SequenceEqual(held),
            "After FlushCaches the tree holds {0} but the workers hold {1}.", string.Join(" ", tree), string.Join(" ", held));

        IovaStatistics stats = domain.GetStatistics();
        ulong pfns = 0;
        foreach (IovaRange range in tree)
        {
            pfns += range.Size;
        }

        Specification.Assert(domain.Count == tree.Length, "Count is {0}, the tree holds {1} ranges.", domain.Count, tree.Length);
        Specification.Assert(stats.LiveRanges == tree.Length, "LiveRanges is {0}, the tree holds {1} ranges.", stats.LiveRanges, tree.Length);
        Specification.Assert(stats.LivePfns == pfns, "LivePfns is {0}, the tree holds {1} pfns.", stats.LivePfns, pfns);
        Specification.Assert(stats.DepotMagazines == 0, "{0} magazines left in the depots after FlushCaches.", stats.DepotMagazines);
        if (allocationsBalanceFrees)
        {
            Specification.Assert(
                stats.TreeAllocations - stats.TreeFrees == stats.LiveRanges,
                "TreeAllocations {0} - TreeFrees {1} != LiveRanges {2}.", stats.TreeAllocations, stats.TreeFrees, stats.LiveRanges);
        }
    }
}
