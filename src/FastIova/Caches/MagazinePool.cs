namespace FastIova.Caches;

/// <summary>
/// Every magazine of a domain, indexed by id, and a lock-free stack of the empty ones. Magazines are created only while
/// the caches warm up (the kernel allocates one when a cache overflows into the depot); afterwards they circulate
/// between caches, depots and this pool, so the steady state allocates nothing.
/// </summary>
internal sealed class MagazinePool
{
    private readonly object _growLock = new();
    private readonly MagazineStack _empty;
    private Magazine[] _all = new Magazine[16];
    private int _created;

    public MagazinePool(int magazineSize)
    {
        MagazineSize = magazineSize;
        _empty = new MagazineStack(this);
    }

    public int MagazineSize { get; }

    /// <summary>
    /// The magazine with id <paramref name="id"/>. A reader learns an id only from a stack head published after the
    /// magazine was stored here, so the array it reads (old or grown) already holds it.
    /// </summary>
    public Magazine this[int id] => Volatile.Read(ref _all)[id];

    /// <summary>An empty magazine: from the pool, or a new one while warming up.</summary>
    public Magazine Rent() => _empty.TryPop() ?? Create();

    /// <summary>Returns a magazine, emptied, to the pool.</summary>
    public void Return(Magazine magazine)
    {
        magazine.Clear();
        _empty.Push(magazine);
    }

    private Magazine Create()
    {
        lock (_growLock)
        {
            int id = _created;
            var magazine = new Magazine(id, MagazineSize);
            var all = _all;
            if (id == all.Length)
            {
                Array.Resize(ref all, all.Length * 2);
                Volatile.Write(ref _all, all);
            }

            all[id] = magazine;
            _created = id + 1;
            return magazine;
        }
    }
}
