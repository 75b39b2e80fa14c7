namespace FastIova.Caches;

/// <summary>
/// A fixed-capacity array of cached pfns (the kernel's <c>struct iova_magazine</c>). Owned by one cache at a time, or
/// by a depot or the pool; never shared, so it needs no synchronization of its own.
/// </summary>
internal sealed class Magazine
{
    private readonly ulong[] _pfns;
    private int _count;

    public Magazine(int id, int capacity)
    {
        Id = id;
        _pfns = new ulong[capacity];
    }

    /// <summary>This magazine's index in its <see cref="MagazinePool"/>, which the lock-free stacks link by.</summary>
    public int Id { get; }

    /// <summary>The next magazine's id + 1 while on a <see cref="MagazineStack"/> (0: none).</summary>
    public int Next;

    public int Count => _count;

    public bool IsEmpty => _count == 0;

    public bool IsFull => _count == _pfns.Length;

    /// <summary>The cached pfns, in index order (the order in which a flush frees them).</summary>
    public ReadOnlySpan<ulong> Pfns => _pfns.AsSpan(0, _count);

    public void Push(ulong pfn) => _pfns[_count++] = pfn;

    /// <summary>
    /// <c>iova_magazine_pop</c>: takes the last entry (highest index) not above <paramref name="maxStart"/> and moves
    /// the magazine's last entry into its place.
    /// </summary>
    public bool TryPop(ulong maxStart, out ulong pfn)
    {
        var pfns = _pfns;
        for (int i = _count - 1; i >= 0; i--)
        {
            if (pfns[i] <= maxStart)
            {
                pfn = pfns[i];
                pfns[i] = pfns[--_count];
                return true;
            }
        }

        pfn = 0;
        return false;
    }

    public void Clear() => _count = 0;
}
