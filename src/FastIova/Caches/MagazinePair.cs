namespace FastIova.Caches;

/// <summary>
/// One cache's two magazines for one size class (the kernel's <c>struct iova_cpu_rcache</c>), with the kernel's rules
/// for moving between them and the class depot. The caller provides exclusion (a CPU's lock, or a thread cache's
/// owner handshake); the depot and the pool are lock-free.
/// </summary>
internal struct MagazinePair
{
    public Magazine Loaded;
    public Magazine Previous;

    // Beside the magazines they count: the hot path touches one struct, not a second array. Written only by whoever
    // holds the cache; read racily for statistics.
    public long Hits;
    public long Misses;

    public MagazinePair(MagazinePool pool)
    {
        Loaded = pool.Rent();
        Previous = pool.Rent();
    }

    /// <summary>
    /// <c>__iova_rcache_get</c>: use <c>loaded</c> if it has pfns; else swap in <c>prev</c> if it has; else replace
    /// the empty <c>loaded</c> by the depot's head magazine. Then pop the last pfn not above <paramref name="maxStart"/>.
    /// The swap or depot move stands even when nothing qualifies (a miss).
    /// </summary>
    public bool TryGet(ulong maxStart, MagazineStack depot, MagazinePool pool, out ulong pfn)
    {
        if (Loaded.IsEmpty)
        {
            if (!Previous.IsEmpty)
            {
                (Loaded, Previous) = (Previous, Loaded);
            }
            else
            {
                Magazine? full = depot.TryPop();
                if (full is null)
                {
                    pfn = 0;
                    return false;
                }

                pool.Return(Loaded);
                Loaded = full;
            }
        }

        return Loaded.TryPop(maxStart, out pfn);
    }

    /// <summary>
    /// <c>__iova_rcache_insert</c>: push into <c>loaded</c> if it has room; else swap with <c>prev</c> if that has
    /// room; else move the full <c>loaded</c> to the head of the depot and start a fresh magazine.
    /// </summary>
    public void Insert(ulong pfn, MagazineStack depot, MagazinePool pool)
    {
        if (Loaded.IsFull)
        {
            if (!Previous.IsFull)
            {
                (Loaded, Previous) = (Previous, Loaded);
            }
            else
            {
                depot.Push(Loaded);
                Loaded = pool.Rent();
            }
        }

        Loaded.Push(pfn);
    }

    /// <summary>Frees every cached pfn to the tree, <c>loaded</c> then <c>prev</c>, each in index order, as the kernel's flush.</summary>
    public readonly void FlushTo(IovaDomain domain)
    {
        domain.FreeCachedToTree(Loaded.Pfns);
        Loaded.Clear();
        domain.FreeCachedToTree(Previous.Pfns);
        Previous.Clear();
    }
}
