using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastIova.Tree;

// The one-slot moves inside a leaf that every insert and removal pays (the bulk moves of splits and merges are
// CopyRanges). Not Span.CopyTo: overlapping copies leave managed code for the C library's memmove, which costs more
// than the few pfns moved. Each move copies whole vectors, and its first (or last) vector is read before anything
// moves and written last, overlapping what the loop wrote with the same values: no scalar loop for the remainder,
// whose varying length the branches mispredict.
internal sealed partial class IovaTree
{
    // Moves ranges [at, at + count) one slot up.
    private void ShiftUp(int at, int count)
    {
        ShiftUp(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lo), at), count);
        ShiftUp(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_hi), at), count);
    }

    // Moves ranges [at + 1, at + 1 + count) one slot down, over the range at `at`.
    private void ShiftDown(int at, int count)
    {
        ShiftDown(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lo), at), count);
        ShiftDown(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_hi), at), count);
    }

    // Eight pfns a copy where 512-bit vectors are accelerated (measured on the per-thread tree pattern, against four:
    // 28.5 -> 29.2-29.8 Mops/s on one thread, 26.0-26.7 -> 28.4-28.6 on two, medians of 12 rounds).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftUp(ref ulong from, int count)
    {
        if (Vector512.IsHardwareAccelerated && count >= Vector512<ulong>.Count)
            ShiftUpWide(ref from, count);
        else
            ShiftUpNarrow(ref from, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftDown(ref ulong to, int count)
    {
        if (Vector512.IsHardwareAccelerated && count >= Vector512<ulong>.Count)
            ShiftDownWide(ref to, count);
        else
            ShiftDownNarrow(ref to, count);
    }

    /// <summary>Moves <paramref name="count"/> (at least 8) pfns from <paramref name="from"/> one slot up, eight per copy, from the top down.</summary>
    internal static void ShiftUpWide(ref ulong from, int count)
    {
        var lowest = Vector512.LoadUnsafe(ref from);
        for (int i = count; i >= Vector512<ulong>.Count; i -= Vector512<ulong>.Count)
            Vector512.LoadUnsafe(ref from, (nuint)(i - Vector512<ulong>.Count)).StoreUnsafe(ref from, (nuint)(i - Vector512<ulong>.Count + 1));
        lowest.StoreUnsafe(ref from, 1);
    }

    /// <summary>Moves <paramref name="count"/> pfns from <paramref name="from"/> one slot up, four per copy, from the top down.</summary>
    internal static void ShiftUpNarrow(ref ulong from, int count)
    {
        if (count < Vector256<ulong>.Count)
        {
            for (int j = count - 1; j >= 0; j--)
                Unsafe.Add(ref from, j + 1) = Unsafe.Add(ref from, j);
            return;
        }

        var lowest = Vector256.LoadUnsafe(ref from);
        for (int i = count; i >= Vector256<ulong>.Count; i -= Vector256<ulong>.Count)
            Vector256.LoadUnsafe(ref from, (nuint)(i - Vector256<ulong>.Count)).StoreUnsafe(ref from, (nuint)(i - Vector256<ulong>.Count + 1));
        lowest.StoreUnsafe(ref from, 1);
    }

    /// <summary>Moves the <paramref name="count"/> (at least 8) pfns after <paramref name="to"/> one slot down onto it, eight per copy, from the bottom up.</summary>
    internal static void ShiftDownWide(ref ulong to, int count)
    {
        var highest = Vector512.LoadUnsafe(ref to, (nuint)(count - Vector512<ulong>.Count + 1));
        for (int i = 0; i + Vector512<ulong>.Count <= count; i += Vector512<ulong>.Count)
            Vector512.LoadUnsafe(ref to, (nuint)(i + 1)).StoreUnsafe(ref to, (nuint)i);
        highest.StoreUnsafe(ref to, (nuint)(count - Vector512<ulong>.Count));
    }

    /// <summary>Moves the <paramref name="count"/> pfns after <paramref name="to"/> one slot down onto it, four per copy, from the bottom up.</summary>
    internal static void ShiftDownNarrow(ref ulong to, int count)
    {
        if (count < Vector256<ulong>.Count)
        {
            for (int j = 0; j < count; j++)
                Unsafe.Add(ref to, j) = Unsafe.Add(ref to, j + 1);
            return;
        }

        var highest = Vector256.LoadUnsafe(ref to, (nuint)(count - Vector256<ulong>.Count + 1));
        for (int i = 0; i + Vector256<ulong>.Count <= count; i += Vector256<ulong>.Count)
            Vector256.LoadUnsafe(ref to, (nuint)(i + 1)).StoreUnsafe(ref to, (nuint)i);
        highest.StoreUnsafe(ref to, (nuint)(count - Vector256<ulong>.Count));
    }
}
