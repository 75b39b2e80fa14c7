using System.Runtime.CompilerServices;

namespace FastIova.Caches;

/// <summary>
/// One cache's two magazines for one size class (the kernel's <c>struct iova_cpu_rcache</c>), with the kernel's rules
/// for moving between them and the class depot, and for a cache with one owner a private spare. The caller provides
/// exclusion (a CPU's lock, or a thread cache's owner handshake); the depot and the pool are lock-free.
/// </summary>
/// <remarks>
/// <para>
/// The spare (not in the kernel) is a third magazine that a cache with one owner keeps for good, always either full or
/// empty: a full <c>loaded</c> that finds <c>prev</c> full goes there instead of to the depot, and an empty
/// <c>loaded</c> that finds <c>prev</c> empty takes it back before the depot. A lazy DMA mapper's flush queue (255
/// ranges) outgrows two magazines of 127, so without it every flush cycle moves a magazine through the shared depot
/// and an empty one through the shared pool, and with two threads the magazines a thread takes are mostly the other's:
/// their lines cross cores every cycle. Simulated CPUs keep the kernel's rules exactly and have no spare.
/// </para>
/// <para>
/// While a magazine is <c>loaded</c>, its pfn array and count live here rather than in the magazine, so that a hit
/// reads this struct and the array and nothing else (one dependent load fewer than going through the magazine). The
/// count is written back to the magazine whenever it stops being <c>loaded</c>, before anyone else can see it.
/// </para>
/// </remarks>
internal struct MagazinePair
{
    private Magazine _loaded;
    private ulong[] _loadedPfns;
    private int _loadedCount;
    private Magazine _previous;
    private Magazine? _spare;

    // Beside the magazines they count: a hit touches one struct. Written only by whoever holds the cache; read racily
    // for statistics.
    public long Hits;
    public long Misses;

    public MagazinePair(MagazinePool pool, bool keepsSpare)
    {
        _loaded = null!;
        _loadedPfns = null!;
        Load(pool.Rent());
        _previous = pool.Rent();
        _spare = keepsSpare ? pool.Rent() : null;
    }

    /// <summary>
    /// The common hit: <c>loaded</c>'s last entry qualifies. Same result as <see cref="TryGet"/> when it succeeds (the
    /// kernel scans from the last entry and takes the first that fits); false means "ask TryGet".
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPopLast(ulong maxStart, out ulong pfn)
    {
        int last = _loadedCount - 1;
        var pfns = _loadedPfns;
        if ((uint)last < (uint)pfns.Length && pfns[last] <= maxStart)
        {
            pfn = pfns[last];
            _loadedCount = last;
            Hits++;
            return true;
        }

        pfn = 0;
        return false;
    }

    /// <summary>The common insert: <c>loaded</c> has room. False means "use Insert".</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPush(ulong pfn)
    {
        int count = _loadedCount;
        var pfns = _loadedPfns;
        if ((uint)count >= (uint)pfns.Length)
            return false;
        pfns[count] = pfn;
        _loadedCount = count + 1;
        return true;
    }

    /// <summary>
    /// Many common inserts at once: as many of <paramref name="pfns"/>, in order, as <c>loaded</c> has room for (each
    /// what <see cref="TryPush"/> would do, the count kept out of memory between them). Returns how many.
    /// </summary>
    public int PushRun(ReadOnlySpan<ulong> pfns)
    {
        int count = _loadedCount;
        int pushed = Math.Min(pfns.Length, _loadedPfns.Length - count);
        pfns[..pushed].CopyTo(_loadedPfns.AsSpan(count));
        _loadedCount = count + pushed;
        return pushed;
    }

    /// <summary>
    /// <c>__iova_rcache_get</c>: use <c>loaded</c> if it has pfns; else swap in <c>prev</c> if it has; else replace
    /// the empty <c>loaded</c> by the spare, if any, or the depot's head magazine. Then pop the last pfn not above
    /// <paramref name="maxStart"/>. The swap or move stands even when nothing qualifies (a miss).
    /// </summary>
    public bool TryGet(ulong maxStart, MagazineStack depot, MagazinePool pool, out ulong pfn)
    {
        if (_loadedCount == 0)
        {
            if (!_previous.IsEmpty)
            {
                SwapWithPrevious();
            }
            else if (_spare is { IsEmpty: false })
            {
                SwapWithSpare();
            }
            else
            {
                Magazine? full = depot.TryPop();
                if (full is null)
                {
                    pfn = 0;
                    return false;
                }

                pool.Return(Unload());
                Load(full);
            }
        }

        return Magazine.TryPop(_loadedPfns, ref _loadedCount, maxStart, out pfn);
    }

    /// <summary>
    /// <c>__iova_rcache_insert</c>: push into <c>loaded</c> if it has room; else swap with <c>prev</c> if that has
    /// room; else swap with the spare if the cache keeps one and it is empty; else move the full <c>loaded</c> to the
    /// head of the depot and start a fresh magazine.
    /// </summary>
    public void Insert(ulong pfn, MagazineStack depot, MagazinePool pool)
    {
        if (_loadedCount == _loadedPfns.Length)
        {
            if (!_previous.IsFull)
            {
                SwapWithPrevious();
            }
            else if (_spare is { IsFull: false })
            {
                SwapWithSpare();
            }
            else
            {
                depot.Push(Unload());
                Load(pool.Rent());
            }
        }

        _loadedPfns[_loadedCount++] = pfn;
    }

    /// <summary>
    /// Frees every cached pfn to the tree, <c>loaded</c> then <c>prev</c> (then the spare), each in index order, as the
    /// kernel's flush.
    /// </summary>
    public void FlushTo(IovaDomain domain)
    {
        domain.FreeCachedToTree(_loadedPfns.AsSpan(0, _loadedCount));
        _loadedCount = 0;
        domain.FreeCachedToTree(_previous.Pfns);
        _previous.Clear();
        if (_spare is not null)
        {
            domain.FreeCachedToTree(_spare.Pfns);
            _spare.Clear();
        }
    }

    /// <summary>Gives its (flushed, empty) magazines back to the pool; the pair must never be used again.</summary>
    public void ReturnTo(MagazinePool pool)
    {
        pool.Return(Unload());
        pool.Return(_previous);
        if (_spare is not null)
            pool.Return(_spare);
        _loaded = _previous = _spare = null!;
        _loadedPfns = null!;
    }

    private void SwapWithPrevious()
    {
        var previous = _previous;
        _previous = Unload();
        Load(previous);
    }

    private void SwapWithSpare()
    {
        var spare = _spare!;
        _spare = Unload();
        Load(spare);
    }

    private void Load(Magazine magazine)
    {
        _loaded = magazine;
        _loadedPfns = magazine.Slots;
        _loadedCount = magazine.Count;
    }

    private readonly Magazine Unload()
    {
        _loaded.Count = _loadedCount;
        return _loaded;
    }
}
