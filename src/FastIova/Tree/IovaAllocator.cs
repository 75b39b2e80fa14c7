using System.Numerics;

namespace FastIova.Tree;

/// <summary>Why a tree allocation failed.</summary>
internal enum AllocationFailure
{
    /// <summary>It did not fail.</summary>
    None,

    /// <summary>Refused at once: a 32-bit request at least as large as one that already failed.</summary>
    Dma32Hint,

    /// <summary>Both passes searched and nothing fitted.</summary>
    Exhausted,
}

/// <summary>
/// The kernel's allocator state over an <see cref="IovaTree"/>: the two cached nodes, the 32-bit fast-fail hint and
/// the rules that move them. Each rule of <c>drivers/iommu/iova.c</c> is stated once, here. Single-threaded: the
/// domain calls it under its tree lock.
/// </summary>
internal sealed class IovaAllocator
{
    private readonly IovaTree _tree = new();
    private readonly ulong _startPfn;
    private readonly ulong _dma32Pfn;
    private readonly PlacementSearch _search;

    // Invariant: both cached nodes name live ranges (the anchor at worst), never a removed one; see Remove. A range is
    // kept by its start pfn (unique) with the handle it was last seen at, since handles move as leaves shift.
    private CachedNode _cachedNode;
    private CachedNode _cached32Node;

    // Invariant: a 32-bit request of at least this size fails without searching; reset by any removal below 4 GiB.
    private ulong _max32AllocSize;

    public IovaAllocator(ulong startPfn, ulong dma32Pfn, PlacementSearch search)
    {
        _startPfn = startPfn;
        _dma32Pfn = dma32Pfn;
        _search = search;
        _cachedNode = _cached32Node = new CachedNode(IovaTree.AnchorPfn, _tree.Anchor);
        _max32AllocSize = dma32Pfn;
    }

    /// <summary>The tree (for queries; mutate only through this class so that the kernel's rules hold).</summary>
    public IovaTree Tree => _tree;

    /// <summary>Pfns covered by live ranges, anchor excluded.</summary>
    public ulong LivePfns { get; private set; }

    /// <summary>Successful allocations.</summary>
    public long Allocations { get; private set; }

    /// <summary>Allocations refused by the 32-bit hint.</summary>
    public long Dma32HintFailures { get; private set; }

    /// <summary>Allocations that searched and found nothing.</summary>
    public long ExhaustedFailures { get; private set; }

    /// <summary>
    /// Allocations that the first pass's O(1) step answered (the block directly below the cached node), without a
    /// search from the root. Always 0 with <see cref="PlacementSearch.LinearWalk"/>.
    /// </summary>
    public long FirstStepHits { get; private set; }

    /// <summary>Ranges removed.</summary>
    public long Removals { get; private set; }

    /// <summary>
    /// <c>alloc_iova</c>: places <paramref name="size"/> pfns at or above the start pfn and at or below
    /// <paramref name="limitPfn"/>, exactly where the kernel would.
    /// </summary>
    /// <remarks>
    /// The placement rule, with <c>L = limitPfn + 1</c> and <c>c</c> the cached node for the limit
    /// (<c>cached32</c> when <c>L &lt;= dma32</c>, else <c>cached</c>):
    /// <list type="number">
    /// <item>A 32-bit request (<c>L &lt;= dma32</c>) of at least <c>max32_alloc_size</c> fails at once.</item>
    /// <item>First pass: the highest aligned block in <c>[start, min(L, c.lo) - 1]</c>.</item>
    /// <item>Retry pass, only if that failed and <c>c.hi &lt; L</c> (so never from the anchor, whose window would
    /// wrap): the highest aligned block in <c>[c.hi + 1, L - 1]</c>.</item>
    /// <item>Failure sets <c>max32_alloc_size = size</c>, whatever the limit; success makes the new range
    /// <c>cached32</c> if it ends below dma32, else <c>cached</c>.</item>
    /// </list>
    /// Alignment is to the smallest power of two at or above <paramref name="size"/>.
    /// </remarks>
    public AllocationFailure TryAllocate(ulong size, ulong limitPfn, bool sizeAligned, out int node)
    {
        node = IovaTree.Nil;
        ulong limit = limitPfn + 1;
        bool is32 = limit <= _dma32Pfn;
        if (is32 && size >= _max32AllocSize)
        {
            Dma32HintFailures++;
            return AllocationFailure.Dma32Hint;
        }

        int cached = is32 ? _cached32Node.Find(_tree) : _cachedNode.Find(_tree);
        ulong alignMask = sizeAligned ? ~(BitOperations.RoundUpToPowerOf2(size) - 1) : ulong.MaxValue;
        ulong cachedHi = _tree.Hi(cached);

        ulong start = FirstPass(cached, limit, size, alignMask, out int above);
        if (start == IovaTree.NotFound && cachedHi < limit)
            start = RetryPass(cachedHi + 1, limit, size, alignMask, out above);

        if (start == IovaTree.NotFound)
        {
            _max32AllocSize = size;
            ExhaustedFailures++;
            return AllocationFailure.Exhausted;
        }

        ulong end = start + size - 1;
        node = above == IovaTree.Nil ? _tree.Insert(start, end) : _tree.InsertBelow(above, start, end);
        LivePfns += size;
        Allocations++;
        if (end < _dma32Pfn)
        {
            _cached32Node = new CachedNode(start, node);
            _cachedNode.FollowInsertion(node);
        }
        else
        {
            _cachedNode = new CachedNode(start, node);
            _cached32Node.FollowInsertion(node);
        }
        return AllocationFailure.None;
    }

    // Both passes also report the node whose gap holds the block, so that the insert need not search for it again
    // (Nil from the linear walk, which inserts from the root as the kernel does).
    private ulong FirstPass(int cached, ulong limit, ulong size, ulong alignMask, out int above)
    {
        above = IovaTree.Nil;
        if (_search == PlacementSearch.LinearWalk)
            return _tree.WalkDown(cached, limit, _startPfn, size, alignMask);
        ulong top = Math.Min(limit, _tree.Lo(cached));
        if (top < size)
            return IovaTree.NotFound;

        // The kernel's first step, and its common case: the highest aligned start in the window, (top - size) & mask,
        // is the first pass's answer whenever that block is free, because no block of the window starts higher. It
        // lies below the cached node and under the limit, so it is free exactly when it starts in the cached node's
        // gap (above its predecessor's end) and at or above the start pfn. Then no search is needed, and the new range
        // hangs next to the cached node.
        ulong highest = (top - size) & alignMask;
        if (highest >= _tree.GapBottom(cached) && highest >= _startPfn)
        {
            above = cached;
            FirstStepHits++;
            return highest;
        }

        // Otherwise the search; when the window ends at the cached node it starts there, as the kernel's walk does.
        return top == _tree.Lo(cached)
            ? _tree.FindHighestBelow(cached, _startPfn, size, alignMask, out above)
            : _tree.FindHighest(_startPfn, top - 1, size, alignMask, out above);
    }

    private ulong RetryPass(ulong low, ulong limit, ulong size, ulong alignMask, out int above)
    {
        above = IovaTree.Nil;
        if (_search == PlacementSearch.LinearWalk)
        {
            // The kernel starts above 4 GiB from the anchor, below it from iova_find_limit's node: a range at or
            // straddling the limit, from which the walk passes every gap below it.
            int from = limit > _dma32Pfn ? _tree.Anchor : _tree.FirstEndingAtOrAbove(limit);
            return _tree.WalkDown(from, limit, low, size, alignMask);
        }

        return _tree.FindHighest(low, limit - 1, size, alignMask, out above);
    }

    /// <summary><c>free_iova</c>: removes the range containing <paramref name="pfn"/>; false if there is none.</summary>
    public bool Free(ulong pfn)
    {
        int node = _tree.FindContaining(pfn);
        if (node == IovaTree.Nil || _tree.IsAnchor(node))
            return false;
        Remove(node);
        return true;
    }

    /// <summary>
    /// <c>remove_iova</c>: takes <paramref name="node"/> out of the tree, first moving what named it. With
    /// <c>f</c> the removed range and <c>s</c> its successor (the anchor at worst; the tree's removal names it), all
    /// tests on values before removal:
    /// <list type="bullet">
    /// <item><c>cached32 := s</c> if <c>f</c> is <c>cached32</c>, or <c>f.hi &lt; dma32</c> and <c>f.lo &gt;= cached32.lo</c>;</item>
    /// <item><c>max32_alloc_size := dma32</c> if <c>f.lo &lt; dma32</c>;</item>
    /// <item><c>cached := s</c> if <c>f.lo &gt;= cached.lo</c>.</item>
    /// </list>
    /// </summary>
    private void Remove(int node)
    {
        ulong lo = _tree.Lo(node), hi = _tree.Hi(node);
        bool moveCached32 = lo == _cached32Node.Lo || (hi < _dma32Pfn && lo >= _cached32Node.Lo);
        bool moveCached = lo >= _cachedNode.Lo;
        if (lo < _dma32Pfn)
            _max32AllocSize = _dma32Pfn;
        LivePfns -= hi - lo + 1;
        Removals++;
        int successor = _tree.Remove(node);
        ulong successorLo = _tree.Lo(successor);
        if (moveCached32)
            _cached32Node = new CachedNode(successorLo, successor);
        else
            _cached32Node.FollowRemoval(node);
        if (moveCached)
            _cachedNode = new CachedNode(successorLo, successor);
        else
            _cachedNode.FollowRemoval(node);
    }

    /// <summary>
    /// <c>reserve_iova</c>: marks <c>[lo, hi]</c> used, merging the kernel's way. Walking the overlapping ranges in
    /// address order: a range the request starts below is extended down in place to the request's start; a range the
    /// request ends above cuts the request to start after it; a range that now contains the request is the result.
    /// A remainder past the last overlap is inserted as a new range and is the result. Cached nodes and the 32-bit
    /// hint are untouched (a cached node extended downwards caps later first passes at its new start).
    /// </summary>
    public int Reserve(ulong lo, ulong hi)
    {
        // Ranges before this one end below lo and cannot overlap; the kernel's walk from the first node skips them too.
        for (int n = _tree.FirstEndingAtOrAbove(lo); !_tree.IsAnchor(n) && _tree.Lo(n) <= hi; n = _tree.Next(n))
        {
            if (lo < _tree.Lo(n))
            {
                LivePfns += _tree.Lo(n) - lo;
                _cachedNode.FollowExtension(_tree.Lo(n), lo);
                _cached32Node.FollowExtension(_tree.Lo(n), lo);
                _tree.ExtendDown(n, lo);
            }

            if (hi > _tree.Hi(n))
                lo = _tree.Hi(n) + 1;
            if (lo >= _tree.Lo(n) && hi <= _tree.Hi(n))
                return n;
        }

        LivePfns += hi - lo + 1;
        return _tree.Insert(lo, hi);
    }

    /// <summary>Checks the tree's invariants and that the cached nodes name live nodes.</summary>
    public void CheckInvariants()
    {
        _tree.CheckInvariants();
        if (!IsLive(_cachedNode.Lo) || !IsLive(_cached32Node.Lo))
            throw new InvalidOperationException("IovaAllocator invariant broken: a cached node names a removed range.");

        ulong sum = 0;
        foreach (var range in _tree.ToArray())
            sum += range.Size;
        if (sum != LivePfns)
            throw new InvalidOperationException($"IovaAllocator invariant broken: live pfns {LivePfns}, counted {sum}.");
    }

    private bool IsLive(ulong lo) => _tree.FindContaining(lo) is int node && node != IovaTree.Nil && _tree.Lo(node) == lo;

    // A cached node: the range's start pfn, which names it for as long as it lives, and the handle it was last seen at.
    private struct CachedNode(ulong lo, int handle)
    {
        public ulong Lo { get; private set; } = lo;

        private int _handle = handle;

        // The handle, found again by the start pfn when the leaves have shifted since.
        public int Find(IovaTree tree)
        {
            if (!tree.IsAt(_handle, Lo))
                _handle = tree.FindContaining(Lo);
            return _handle;
        }

        // A range inserted at or below the handle in its leaf moved it up a slot (a split moves it further, and Find
        // then searches).
        public void FollowInsertion(int inserted)
        {
            if (IovaTree.SameLeaf(_handle, inserted) && _handle >= inserted)
                _handle++;
        }

        // A range removed below the handle in its leaf moved it down a slot (a merge moves it elsewhere, and Find then
        // searches).
        public void FollowRemoval(int removed)
        {
            if (IovaTree.SameLeaf(_handle, removed) && _handle > removed)
                _handle--;
        }

        // Reserve extends ranges downwards in place; the cached node follows its range.
        public void FollowExtension(ulong oldLo, ulong newLo)
        {
            if (Lo == oldLo)
                Lo = newLo;
        }
    }
}
