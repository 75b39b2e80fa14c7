namespace FastIova.Tree;

// Searches: containment, placement (the augmented descent and the kernel's linear walk) and iova_find_limit.
internal sealed partial class IovaTree
{
    // ---- Queries -------------------------------------------------------------------------------------------------

    /// <summary>The node whose range contains <paramref name="pfn"/>, or <see cref="Nil"/>.</summary>
    public int FindContaining(ulong pfn)
    {
        var nodes = _nodes;
        int x = _root;
        while (x != Nil)
        {
            ref TreeNode node = ref nodes[x];
            if (pfn < node.Lo)
                x = node.Left;
            else if (pfn > node.Hi)
                x = node.Right;
            else
                return x;
        }

        return Nil;
    }

    /// <summary>
    /// <see cref="FindContaining(ulong)"/>, also giving the node's in-order successor (as <see cref="Next"/> would), found
    /// on the same descent: the last node the descent went left at, unless the found node has a right subtree.
    /// </summary>
    public int FindContaining(ulong pfn, out int successor)
    {
        var nodes = _nodes;
        int x = _root, lastLeftTurn = Nil;
        while (x != Nil)
        {
            ref TreeNode node = ref nodes[x];
            if (pfn < node.Lo)
            {
                lastLeftTurn = x;
                x = node.Left;
            }
            else if (pfn > node.Hi)
            {
                x = node.Right;
            }
            else
            {
                successor = node.Right == Nil ? lastLeftTurn : Leftmost(node.Right);
                return x;
            }
        }

        successor = Nil;
        return Nil;
    }

    /// <summary>The lowest node whose range ends at or above <paramref name="pfn"/> (the anchor at worst).</summary>
    public int FirstEndingAtOrAbove(ulong pfn)
    {
        int x = _root, candidate = Anchor;
        while (x != Nil)
        {
            if (_nodes[x].Hi >= pfn)
            {
                candidate = x;
                x = _nodes[x].Left;
            }
            else
            {
                x = _nodes[x].Right;
            }
        }

        return candidate;
    }

    // ---- Placement: the highest aligned block of `size` free pfns in a window ---------------------------------------

    /// <summary>
    /// The highest start <c>s</c>, a multiple of the alignment encoded in <paramref name="alignMask"/>, such that
    /// <c>[s, s + size - 1]</c> is free and lies in <c>[low, high]</c>; <see cref="NotFound"/> if there is none.
    /// </summary>
    /// <remarks>
    /// Gaps are disjoint and ordered, so the highest fitting block is the one in the highest gap that can hold it,
    /// which is exactly what the kernel's downward walk returns. Subtrees whose largest gap is below
    /// <paramref name="size"/>, or whose gaps all lie outside the window, are skipped, so an unaligned search visits
    /// O(log n) nodes. With alignment a gap of at least <c>size</c> pfns may still hold no aligned block, so the gap
    /// test is only necessary: the worst case visits every such misaligned gap above the answer, each for O(log n)
    /// (gaps of <c>size + align - 1</c> or more always fit, so only gaps shorter than that can mislead the search).
    /// </remarks>
    /// <param name="low">The window's lowest pfn.</param>
    /// <param name="high">The window's highest pfn.</param>
    /// <param name="size">Pfns wanted.</param>
    /// <param name="alignMask">The start is rounded down with it.</param>
    /// <param name="above">The node whose gap holds the block (its successor once inserted): the hint for
    /// <see cref="InsertBelow"/>.</param>
    public ulong FindHighest(ulong low, ulong high, ulong size, ulong alignMask, out int above)
    {
        above = Nil;
        if (low > high || high - low + 1 < size || _nodes[_root].MaxGap < size)
            return NotFound;
        above = FindHighestGap(_root, low, high, size, alignMask);
        return above == Nil ? NotFound : HighestStartInGap(above, high, size, alignMask);
    }

    // The block's start in the gap below x, capped by the window's top; FindHighestGap has checked that it fits.
    private ulong HighestStartInGap(int x, ulong high, ulong size, ulong alignMask) =>
        (Math.Min(_nodes[x].Lo - 1, high) - size + 1) & alignMask;

    // The node whose gap holds the highest fitting block, or Nil. Precondition: x's subtree holds a gap of at least
    // `size` (MaxGap checked by the caller).
    private int FindHighestGap(int x, ulong low, ulong high, ulong size, ulong alignMask)
    {
        while (true)
        {
            ref TreeNode node = ref _nodes[x];

            // Read both children's MaxGap before deciding: the two loads are independent, so with a tree larger than
            // the caches their misses overlap instead of costing one after the other.
            int right = node.Right, left = node.Left;
            ulong rightMax = _nodes[right].MaxGap;
            ulong leftMax = _nodes[left].MaxGap;

            // Gaps in the right subtree start above node.Hi: they matter only if node.Hi is below the window's top.
            if (node.Hi < high && rightMax >= size)
            {
                int found = FindHighestGap(right, low, high, size, alignMask);
                if (found != Nil)
                    return found;
            }

            ulong gapBottom = node.Lo - node.Gap;
            if (node.Gap >= size && node.Lo > low)
            {
                ulong top = Math.Min(node.Lo - 1, high);
                ulong bottom = Math.Max(gapBottom, low);
                if (top >= bottom && top - bottom + 1 >= size && ((top - size + 1) & alignMask) >= bottom)
                    return x; // HighestStartInGap gives the same start again
            }

            // Gaps in the left subtree all end below this node's gap: none can reach the window if that gap starts at
            // or below the window's bottom.
            if (gapBottom <= low || leftMax < size)
                return Nil;
            x = left;
        }
    }

    /// <summary>
    /// The kernel's walk (<c>__alloc_and_insert_iova_range</c>'s loop): from node <paramref name="from"/> downwards,
    /// gap by gap, capping the top at <paramref name="highExclusive"/>, until a block fits or falls below
    /// <paramref name="low"/>. Linear in the ranges passed; kept as the reference and the benchmark baseline.
    /// </summary>
    public ulong WalkDown(int from, ulong highExclusive, ulong low, ulong size, ulong alignMask)
    {
        int current = from;
        ulong high = highExclusive;
        ulong start;
        do
        {
            high = Math.Min(high, _nodes[current].Lo);
            start = unchecked(high - size) & alignMask;
            current = Prev(current);
        }
        while (current != Nil && start <= _nodes[current].Hi && start >= low);

        return high < size || start < low ? NotFound : start;
    }

    /// <summary>
    /// The kernel's <c>iova_find_limit</c>: a node at or straddling <paramref name="limitExclusive"/> from which a
    /// downward walk covers every gap below it.
    /// </summary>
    public int FindLimit(ulong limitExclusive)
    {
        int node = _root;
        while (_nodes[node].Hi < limitExclusive)
            node = _nodes[node].Right;

        while (true)
        {
            while (_nodes[node].Left != Nil && _nodes[_nodes[node].Left].Lo >= limitExclusive)
                node = _nodes[node].Left;

            if (_nodes[node].Left == Nil)
                return node;

            int next = _nodes[node].Left;
            bool moved = false;
            while (_nodes[next].Right != Nil)
            {
                next = _nodes[next].Right;
                if (_nodes[next].Lo >= limitExclusive)
                {
                    node = next;
                    moved = true;
                    break;
                }
            }

            if (!moved)
                return node;
        }
    }
}
