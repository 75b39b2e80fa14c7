using System.Runtime.InteropServices;

namespace FastIova.Locking;

/// <summary>
/// The tree's spin lock (the kernel's <c>iova_rbtree_lock</c>), built from <see cref="Interlocked"/> and
/// <see cref="SpinWait"/> rather than <see cref="SpinLock"/> or <see cref="Lock"/>: Coyote controls the former and
/// cannot see the latter, and the tree's critical sections are short enough that parking a thread costs more than
/// spinning. A mutable struct: keep it in a non-readonly field and never copy it.
/// </summary>
/// <remarks>
/// Padded to two cache lines with the flag in the middle, so that no other field shares its line: the fast path
/// reads the domain's other fields on every call, and must not miss in cache each time another thread takes the lock.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct TreeLock
{
    [FieldOffset(64)]
    private int _held;

    /// <summary>Acquires the lock (not re-entrant).</summary>
    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
            EnterContended();
    }

    /// <summary>Releases the lock; the volatile write orders every write of the critical section before it.</summary>
    public void Exit() => Volatile.Write(ref _held, 0);

    private void EnterContended()
    {
        var spinner = new SpinWait();
        do
        {
            // Yield rather than sleep: a Sleep(1) under contention would stretch a sub-microsecond hold to a millisecond.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        while (Volatile.Read(ref _held) != 0 || Interlocked.CompareExchange(ref _held, 1, 0) != 0);
    }
}
