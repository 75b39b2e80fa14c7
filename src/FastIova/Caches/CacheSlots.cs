namespace FastIova.Caches;

/// <summary>
/// Hands each live domain a small integer, its index in every thread's table of thread caches. Indices of disposed
/// domains are reused so the tables stay as small as the number of domains alive at once.
/// </summary>
internal static class CacheSlots
{
    private static readonly object s_lock = new();
    private static readonly Stack<int> s_free = new();
    private static int s_next;

    public static int Acquire()
    {
        lock (s_lock)
            return s_free.Count > 0 ? s_free.Pop() : s_next++;
    }

    public static void Release(int slot)
    {
        lock (s_lock)
            s_free.Push(slot);
    }
}
