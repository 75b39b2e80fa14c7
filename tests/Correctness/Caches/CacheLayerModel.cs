namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// An independent, deliberately plain model of the kernel's rcache layer (<c>alloc_iova_fast</c>,
/// <c>free_iova_fast</c>, <c>free_cpu_cached_iovas</c>, <c>free_global_cached_iovas</c>, the depot trim work), written
/// from TRACE-FORMAT.md with lists and no cleverness. Tree work is delegated to a second <see cref="IovaDomain"/> used
/// with tree operations only, so a differential test against this model checks the cache layer, not the tree.
/// </summary>
/// <remarks>
/// Caches 0..CpuCount-1 are the simulated CPUs; cache CpuCount stands for the calling thread's own cache, and the
/// caches after it for <see cref="IovaCache"/>s. The thread's cache exists from its first use, an owned cache from its
/// creation to its disposal; a whole-cache flush empties the CPUs, then the existing caches in the order they came
/// into being, and each existing cache counts towards the trim threshold. The thread and owned caches keep a spare:
/// a full magazine put aside when both of theirs are full, before the depot, and taken back before the depot.
/// </remarks>
internal sealed class CacheLayerModel : IDisposable
{
    private readonly int _classes;
    private readonly int _magazineSize;
    private readonly int _cpuCount;
    private readonly bool _spareMagazines;
    private readonly PairModel[][] _caches;
    private readonly List<List<ulong>>[] _depots; // per class; the depot's head is the list's last element
    private readonly Dictionary<ulong, ulong> _fastRanges = []; // pfn -> rounded size, for fast ranges still in the tree
    private readonly List<int> _existing = []; // thread and owned caches, in the order they came into being

    public CacheLayerModel(ulong granule, ulong startPfn, int classes, int magazineSize, int cpuCount, int ownedCaches = 0, bool spareMagazines = true)
    {
        _spareMagazines = spareMagazines;
        Tree = new IovaDomain(granule, startPfn, new IovaDomainOptions { CpuCount = 1, DepotTrimInterval = Timeout.InfiniteTimeSpan });
        _classes = classes;
        _magazineSize = magazineSize;
        _cpuCount = cpuCount;
        _caches = new PairModel[cpuCount + 1 + ownedCaches][];
        for (int c = 0; c < _caches.Length; c++)
            _caches[c] = NewCache();

        _depots = new List<List<ulong>>[classes];
        for (int k = 0; k < classes; k++)
            _depots[k] = [];
        Hits = new long[classes];
        Misses = new long[classes];
    }

    /// <summary>The stand-in tree; also receives the test's plain tree operations.</summary>
    public IovaDomain Tree { get; }

    /// <summary>The index that names the calling thread's cache.</summary>
    public int ThreadCacheIndex => _cpuCount;

    /// <summary>The index that names owned cache slot <paramref name="slot"/>.</summary>
    public int OwnedCacheIndex(int slot) => _cpuCount + 1 + slot;

    /// <summary>A new <see cref="IovaCache"/> in slot <paramref name="slot"/>: empty, and last in flush order.</summary>
    public void CreateOwned(int slot)
    {
        int cache = OwnedCacheIndex(slot);
        _caches[cache] = NewCache();
        _existing.Add(cache);
    }

    /// <summary>Disposing the <see cref="IovaCache"/> in slot <paramref name="slot"/>: its ranges go back to the tree.</summary>
    public void DisposeOwned(int slot)
    {
        int cache = OwnedCacheIndex(slot);
        FlushCache(cache);
        _existing.Remove(cache);
    }

    public long[] Hits { get; }

    public long[] Misses { get; }

    public long FastFailures { get; private set; }

    public long Flushes { get; private set; }

    public long Trimmed { get; private set; }

    public int ThreadCaches => _existing.Count;

    /// <summary>Fast-path ranges still in the tree (handed out or cached): first pfn to rounded size.</summary>
    public IReadOnlyDictionary<ulong, ulong> FastRanges => _fastRanges;

    public int DepotMagazines(int sizeClass) => _depots[sizeClass].Count;

    public int TotalDepotMagazines => _depots.Sum(d => d.Count);

    /// <summary>alloc_iova_fast: sizes below 2^(classes-1) round up to a power of two.</summary>
    public static ulong Round(ulong size, int classes)
    {
        if (size >= 1UL << (classes - 1))
            return size;
        ulong p = 1;
        while (p < size)
            p <<= 1;
        return p;
    }

    /// <summary>order_base_2: the smallest k with 2^k >= size.</summary>
    public static int ClassOf(ulong size)
    {
        int k = 0;
        while (k < 64 && (1UL << k) < size)
            k++;
        return k;
    }

    public bool AllocateFast(int cache, ulong size, ulong limitPfn, bool flush, out ulong pfn)
    {
        ulong rounded = Round(size, _classes);
        int k = ClassOf(rounded);
        if (k < _classes && limitPfn + 1 >= rounded)
        {
            Touch(cache);
            if (Get(_caches[cache][k], k, limitPfn + 1 - rounded, out pfn))
            {
                Hits[k]++;
                return true;
            }

            Misses[k]++;
        }

        if (TreeAllocate(rounded, limitPfn, out pfn))
            return true;
        if (flush)
        {
            FlushAll();
            if (TreeAllocate(rounded, limitPfn, out pfn))
                return true;
        }

        FastFailures++;
        pfn = 0;
        return false;
    }

    public void FreeFast(int cache, ulong pfn, ulong size)
    {
        int k = ClassOf(size);
        if (k >= _classes)
        {
            FreeToTree(pfn);
            return;
        }

        Touch(cache);
        var pair = _caches[cache][k];
        if (pair.Loaded.Count == _magazineSize)
        {
            if (pair.Previous.Count < _magazineSize)
            {
                (pair.Loaded, pair.Previous) = (pair.Previous, pair.Loaded);
            }
            else if (KeepsSpare(cache) && pair.Spare is null)
            {
                pair.Spare = pair.Loaded;
                pair.Loaded = [];
            }
            else
            {
                _depots[k].Add(pair.Loaded);
                pair.Loaded = [];
            }
        }

        pair.Loaded.Add(pfn);
    }

    /// <summary>free_cpu_cached_iovas: every class in order, loaded then prev, each in index order.</summary>
    public void FlushCache(int cache)
    {
        foreach (var pair in _caches[cache])
        {
            FreeAllToTree(pair.Loaded);
            FreeAllToTree(pair.Previous);
            if (pair.Spare is not null)
                FreeAllToTree(pair.Spare);
            pair.Spare = null;
        }
    }

    /// <summary>free_global_cached_iovas: per class, pop head magazines until empty.</summary>
    public void FlushDepots()
    {
        foreach (var depot in _depots)
        {
            while (depot.Count > 0)
                FreeAllToTree(PopHead(depot));
        }
    }

    /// <summary>The failure path (and FlushCaches): every CPU in order, the thread and owned caches, then the depots.</summary>
    public void FlushAll()
    {
        Flushes++;
        for (int c = 0; c < _cpuCount; c++)
            FlushCache(c);
        foreach (int cache in _existing)
            FlushCache(cache);
        FlushDepots();
    }

    /// <summary>One depot trim run: per class, free the head magazine if the depot holds more than one per cache.</summary>
    public int TrimDepots()
    {
        int threshold = Math.Max(_cpuCount, ThreadCaches);
        int trimmed = 0;
        foreach (var depot in _depots)
        {
            if (depot.Count > threshold)
            {
                FreeAllToTree(PopHead(depot));
                trimmed++;
            }
        }

        Trimmed += trimmed;
        return trimmed;
    }

    public void Dispose() => Tree.Dispose();

    private bool KeepsSpare(int cache) => cache >= _cpuCount && _spareMagazines;

    private void Touch(int cache)
    {
        if (cache == ThreadCacheIndex && !_existing.Contains(cache))
            _existing.Add(cache);
    }

    private PairModel[] NewCache()
    {
        var pairs = new PairModel[_classes];
        for (int k = 0; k < _classes; k++)
            pairs[k] = new PairModel();
        return pairs;
    }

    private bool Get(PairModel pair, int k, ulong maxStart, out ulong pfn)
    {
        pfn = 0;
        if (pair.Loaded.Count == 0)
        {
            if (pair.Previous.Count > 0)
                (pair.Loaded, pair.Previous) = (pair.Previous, pair.Loaded);
            else if (pair.Spare is not null)
                (pair.Loaded, pair.Spare) = (pair.Spare, null);
            else if (_depots[k].Count > 0)
                pair.Loaded = PopHead(_depots[k]);
            else
                return false;
        }

        var loaded = pair.Loaded;
        for (int i = loaded.Count - 1; i >= 0; i--)
        {
            if (loaded[i] <= maxStart)
            {
                pfn = loaded[i];
                loaded[i] = loaded[^1];
                loaded.RemoveAt(loaded.Count - 1);
                return true;
            }
        }

        return false;
    }

    private static List<ulong> PopHead(List<List<ulong>> depot)
    {
        var head = depot[^1];
        depot.RemoveAt(depot.Count - 1);
        return head;
    }

    private bool TreeAllocate(ulong rounded, ulong limitPfn, out ulong pfn)
    {
        // A limit below the start pfn (a DMA device's mask below the aperture) is a search that fails, as in the kernel.
        if (!Tree.TryAllocate(rounded, limitPfn, sizeAligned: true, limitMayBeBelowStart: true, out var range))
        {
            pfn = 0;
            return false;
        }

        pfn = range.PfnLo;
        _fastRanges.Add(pfn, rounded);
        return true;
    }

    private void FreeAllToTree(List<ulong> pfns)
    {
        foreach (ulong pfn in pfns)
            FreeToTree(pfn);
        pfns.Clear();
    }

    private void FreeToTree(ulong pfn)
    {
        Tree.Free(pfn);
        _fastRanges.Remove(pfn);
    }

    private sealed class PairModel
    {
        public List<ulong> Loaded = [];
        public List<ulong> Previous = [];
        public List<ulong>? Spare;
    }
}
