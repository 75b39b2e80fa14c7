using FastIova.Tree;

namespace FastIova.Caches;

/// <summary>
/// Checked mode's record of which range starts sit in a cache, so that a double free or a foreign free is caught at
/// the call that makes it rather than when the range is handed out twice later (which is all the kernel can show).
/// Every method runs under the domain's tree lock, which makes the record agree with the tree.
/// </summary>
internal sealed class CheckedModeTracker
{
    private readonly HashSet<ulong> _cached = [];

    /// <summary>A range enters a cache: it must be live, start at <paramref name="pfn"/>, be of the class, and not be cached already.</summary>
    public void EnterCache(IovaTree tree, ulong pfn, int sizeClass)
    {
        VerifyStartsRangeOfClass(tree, pfn, sizeClass);
        if (!_cached.Add(pfn))
            throw new InvalidOperationException($"Double free: pfn {pfn} is already in a range cache; the kernel would hand it out twice.");
    }

    /// <summary>A range leaves a cache (a hit, or a flush to the tree).</summary>
    public void LeaveCache(ulong pfn) => _cached.Remove(pfn);

    /// <summary>A fast-path free that bypasses the caches: the range must be live, start at the pfn and be of the class.</summary>
    public void VerifyStartsRangeOfClass(IovaTree tree, ulong pfn, int sizeClass)
    {
        int node = tree.FindContaining(pfn);
        if (node == IovaTree.Nil)
            throw new InvalidOperationException($"Free of pfn {pfn}: no live range contains it (double free or foreign pfn).");
        var range = tree.Range(node);
        if (range.PfnLo != pfn)
            throw new InvalidOperationException($"Free of pfn {pfn}: it lies inside range {range} but does not start it.");
        int actual = SizeClass.Of(range.Size);
        if (actual != sizeClass)
            throw new InvalidOperationException($"Free of pfn {pfn}: range {range} has {range.Size} pfns (class {actual}), not class {sizeClass} as the size passed says.");
    }

    /// <summary>A tree free: the range containing <paramref name="pfn"/> must not be sitting in a cache.</summary>
    public void VerifyTreeFree(IovaTree tree, ulong pfn)
    {
        int node = tree.FindContaining(pfn);
        if (node != IovaTree.Nil && _cached.Contains(tree.Lo(node)))
            throw new InvalidOperationException($"Free of pfn {pfn}: its range {tree.Range(node)} sits in a range cache; freeing it would let the cache hand it out after the tree reuses it.");
    }
}
