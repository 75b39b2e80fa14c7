namespace FastIova.Caches;

/// <summary>
/// A fixed-capacity array of cached pfns (the kernel's <c>struct iova_magazine</c>). Owned by one cache at a time, or
/// by a depot or the pool; never shared, so it needs no synchronization of its own.
/// </summary>
internal sealed class Magazine
{
    public Magazine(int id, int capacity)
    {
        Id = id;
        Slots = new ulong[capacity];
    }

    /// <summary>This magazine's index in its <see cref="MagazinePool"/>, which the lock-free stacks link by.</summary>
    public int Id { get; }

    /// <summary>The next magazine's id + 1 while on a <see cref="MagazineStack"/> (0: none).</summary>
    public int Next;

    /// <summary>
    /// The pfns held, <c>Slots[0..Count)</c>. While the magazine is a cache's <c>loaded</c> one, the cache's
    /// <see cref="MagazinePair"/> keeps the count and writes it back here when it lets the magazine go.
    /// </summary>
    public int Count;

    /// <summary>The storage, its length the capacity.</summary>
    public ulong[] Slots { get; }

    public bool IsEmpty => Count == 0;

    public bool IsFull => Count == Slots.Length;

    /// <summary>The cached pfns, in index order (the order in which a flush frees them).</summary>
    public ReadOnlySpan<ulong> Pfns => Slots.AsSpan(0, Count);

    public void Clear() => Count = 0;

    /// <summary>
    /// <c>iova_magazine_pop</c> over <paramref name="slots"/>[0..<paramref name="count"/>): takes the last entry
    /// (highest index) not above <paramref name="maxStart"/> and moves the last entry into its place.
    /// </summary>
    public static bool TryPop(ulong[] slots, ref int count, ulong maxStart, out ulong pfn)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            if (slots[i] <= maxStart)
            {
                pfn = slots[i];
                slots[i] = slots[--count];
                return true;
            }
        }

        pfn = 0;
        return false;
    }
}
