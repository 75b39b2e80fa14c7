namespace FastIova.Caches;

/// <summary>
/// A lock-free last-in-first-out stack of magazines (Treiber's stack): a depot of full magazines, or the pool of empty
/// ones. Push and pop are one compare-and-swap each on a 64-bit head that packs the top magazine's id with a version.
/// </summary>
/// <remarks>
/// Why ABA cannot corrupt it: a pop reads the head (version v, top A) and A's link B, then swings the head to B. If,
/// between the read and the CAS, other threads pop A, pop B and push A back (A now linking elsewhere), the top is A
/// again but the version is v + 3, so the CAS fails and the pop retries instead of installing the stale B. Every
/// successful push or pop bumps the version; a stale CAS could succeed only if one thread stalled across exactly 2^32
/// other operations on the same stack, which we accept. Magazines are never freed, so a stale id always names a
/// real magazine and reading its link is safe.
/// </remarks>
internal sealed class MagazineStack
{
    private const long VersionOne = 1L << 32;

    private readonly MagazinePool _pool;
    private long _head; // (version << 32) | (top id + 1); low half 0: empty
    private int _count;

    public MagazineStack(MagazinePool pool) => _pool = pool;

    /// <summary>
    /// Magazines on the stack. Updated after the CAS, so under concurrency it may lag by the operations in flight; a pop
    /// that takes a magazine whose push has not counted it yet would make it -1 for a moment, so it is read as 0.
    /// </summary>
    public int Count => Math.Max(0, Volatile.Read(ref _count));

    public void Push(Magazine magazine)
    {
        long head, next;
        do
        {
            head = Volatile.Read(ref _head);
            magazine.Next = (int)(uint)head;
            next = (head & ~0xFFFF_FFFFL) + VersionOne | (uint)(magazine.Id + 1);
        }
        while (Interlocked.CompareExchange(ref _head, next, head) != head);
        Interlocked.Increment(ref _count);
    }

    public Magazine? TryPop()
    {
        long head, next;
        Magazine top;
        do
        {
            head = Volatile.Read(ref _head);
            int topId = (int)(uint)head;
            if (topId == 0)
                return null;
            top = _pool[topId - 1];
            next = (head & ~0xFFFF_FFFFL) + VersionOne | (uint)Volatile.Read(ref top.Next);
        }
        while (Interlocked.CompareExchange(ref _head, next, head) != head);
        Interlocked.Decrement(ref _count);
        return top;
    }
}
