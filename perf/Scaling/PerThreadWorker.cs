using System.Diagnostics.CodeAnalysis;
using FastIova.Perf.Scaling.Sources;

namespace FastIova.Perf.Scaling;

/// <summary>
/// The per-thread pattern: the thread keeps a working set of <paramref name="workingSet"/> live ranges
/// (<see cref="ScalingSettings.DefaultWorkingSet"/> unless a run varies it) and, round robin, frees the oldest and
/// allocates a new one of the next size. Nothing crosses threads.
/// </summary>
internal sealed class PerThreadWorker<TSource>(TSource source, int threadIndex, int workingSet) : IScalingWorker
    where TSource : struct, IRangeSource
{
    private const int PairsPerChunk = 64;

    private readonly ulong[] _pfns = new ulong[workingSet];
    private readonly ulong[] _sizes = new ulong[workingSet];
    private readonly SizeSequence _sequence = new(threadIndex);
    private TSource _source = source;
    private int _slot;

    /// <inheritdoc />
    public void Initialize()
    {
        for (int i = 0; i < _pfns.Length; i++)
        {
            Allocate(i);
        }
    }

    /// <inheritdoc />
    public long RunChunk()
    {
        int slot = _slot;
        for (int i = 0; i < PairsPerChunk; i++)
        {
            _source.Free(_pfns[slot], _sizes[slot]);
            Allocate(slot);
            slot = slot == _pfns.Length - 1 ? 0 : slot + 1;
        }

        _slot = slot;
        return 2 * PairsPerChunk;
    }

    /// <inheritdoc />
    public void Finish()
    {
        for (int i = 0; i < _pfns.Length; i++)
        {
            _source.Free(_pfns[i], _sizes[i]);
        }
    }

    private void Allocate(int slot)
    {
        ulong size = _sequence.Next();
        if (!_source.TryAllocate(size, out ulong pfn))
        {
            ThrowAllocationFailed(size);
        }

        _pfns[slot] = pfn;
        _sizes[slot] = size;
    }

    // Out of line: an inlined interpolated message would have the hot loop zero its handler's stack space every pair.
    [DoesNotReturn]
    private static void ThrowAllocationFailed(ulong size) =>
        throw new InvalidOperationException($"Allocation of {size} pfns failed in the per-thread workload.");
}
