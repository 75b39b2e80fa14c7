using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastIova.Locking;

/// <summary>
/// The tree's spin lock (the kernel's <c>iova_rbtree_lock</c>), built from <see cref="Interlocked"/> and
/// <see cref="SpinWait"/> rather than <see cref="SpinLock"/> or <see cref="Lock"/>: Coyote controls the former and
/// cannot see the latter, and the tree's critical sections are short enough that a waiter spins before it sleeps. A
/// mutable struct: keep it in a non-readonly field and never copy it.
/// </summary>
/// <remarks>
/// Padded to two cache lines with the flag in the middle, so that no other field shares its line: the fast path
/// reads the domain's other fields on every call, and must not miss in cache each time another thread takes the lock.
/// The count of contended entries shares the flag's line: it is written only by a thread that has just taken the lock,
/// whose compare-and-swap already holds the line.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct TreeLock
{
    [FieldOffset(64)]
    private int _held;

    [FieldOffset(72)]
    private long _contentions;

    /// <summary>
    /// Entries that found the lock held and waited for it: each is a hand-over of the tree from another thread. Written
    /// under the lock; a reader without it gets a value that may lag by the entries in flight (the read is atomic).
    /// </summary>
    public long Contentions => Volatile.Read(ref _contentions);

    /// <summary>Acquires the lock (not re-entrant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
            EnterContended();
    }

    /// <summary>Releases the lock; the volatile write orders every write of the critical section before it.</summary>
    public void Exit() => Volatile.Write(ref _held, 0);

    // SpinWait's default schedule: spin, then yield, and from its 20th look at a lock that stayed taken, sleep a
    // millisecond between looks. A thread running tree operations back to back re-takes the lock within nanoseconds
    // of each release, so on two cores it keeps it for thousands of operations in a row however the waiter waits
    // (measured: one hand-over per several thousand operations); a waiter that only yields stays runnable and, on a
    // loaded machine, halved the holder's speed (2 threads at 0.34-0.52x of 1 in a loop of tree alloc/free pairs,
    // against 0.84-1.05x sleeping; perf/README.md). A short hold is still met in the spinning phase.
    private void EnterContended()
    {
        var spinner = new SpinWait();
        do
        {
            spinner.SpinOnce();
        }
        while (Volatile.Read(ref _held) != 0 || Interlocked.CompareExchange(ref _held, 1, 0) != 0);

        _contentions++; // under the lock
    }
}
