using System.Runtime.CompilerServices;

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

    /// <summary>
    /// The common case of <see cref="TryPop"/>: the last entry qualifies. Same result as <see cref="TryPop"/> when it
    /// succeeds (the kernel scans from the last entry and takes the first that fits); false means "ask TryPop".
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPopLast(ulong maxStart, out ulong pfn)
    {
        int last = _count - 1;
        var pfns = _pfns;
        if ((uint)last < (uint)pfns.Length && pfns[last] <= maxStart)
        {
            pfn = pfns[last];
            _count = last;
            return true;
        }

        pfn = 0;
        return false;
    }

    /// <summary>Pushes unless full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPush(ulong pfn)
    {
        int count = _count;
        var pfns = _pfns;
        if ((uint)count >= (uint)pfns.Length)
            return false;
        pfns[count] = pfn;
        _count = count + 1;
        return true;
    }

    public void Clear() => _count = 0;
}
