using System.Diagnostics.CodeAnalysis;
using FastIova.Perf.Scaling.Sources;

namespace FastIova.Perf.Scaling;

/// <summary>
/// The per-thread pattern: the thread keeps a working set of <paramref name="workingSet"/> live ranges
/// (<see cref="ScalingSettings.DefaultWorkingSet"/> unless a run varies it) and, round robin, frees the oldest and
/// allocates a new one of the next size. With <paramref name="workingSets"/> above 1 it keeps that many, all live, and
/// works one at a time, moving to the next every <see cref="ScalingSettings.TurnPairs"/> pairs. Nothing crosses threads.
/// </summary>
internal sealed class PerThreadWorker<TSource>(TSource source, int threadIndex, int workingSet, int workingSets = 1) : IScalingWorker
    where TSource : struct, IRangeSource
{
    private const int PairsPerChunk = 64;

    private readonly Set[] _sets = Set.Create(workingSets, workingSet);
    private readonly SizeSequence _sequence = new(threadIndex);
    private TSource _source = source;
    private int _set;
    private int _pairsThisTurn;

    // The set being worked, copied out of _sets so that the loop is the same whether a worker has one set or many.
    private ulong[] _pfns = null!;
    private ulong[] _sizes = null!;
    private int _slot;

    /// <inheritdoc />
    public void Initialize()
    {
        for (int set = 0; set < _sets.Length; set++)
        {
            TakeTurn(set);
            for (int i = 0; i < _pfns.Length; i++)
            {
                Allocate(i);
            }
        }

        TakeTurn(0);
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
        if (_sets.Length > 1 && (_pairsThisTurn += PairsPerChunk) >= ScalingSettings.TurnPairs)
        {
            TakeTurn(_set == _sets.Length - 1 ? 0 : _set + 1);
        }

        return 2 * PairsPerChunk;
    }

    /// <inheritdoc />
    public void Finish()
    {
        foreach (Set set in _sets)
        {
            for (int i = 0; i < set.Pfns.Length; i++)
            {
                _source.Free(set.Pfns[i], set.Sizes[i]);
            }
        }
    }

    // Leaves the set being worked where it is (its oldest next) and goes on with `set` from its oldest.
    private void TakeTurn(int set)
    {
        if (_pfns is not null)
            _sets[_set].Oldest = _slot;
        _set = set;
        _pfns = _sets[set].Pfns;
        _sizes = _sets[set].Sizes;
        _slot = _sets[set].Oldest;
        _pairsThisTurn = 0;
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

    private sealed class Set(int workingSet)
    {
        public ulong[] Pfns { get; } = new ulong[workingSet];

        public ulong[] Sizes { get; } = new ulong[workingSet];

        public int Oldest { get; set; }

        public static Set[] Create(int count, int workingSet) => [.. Enumerable.Range(0, count).Select(_ => new Set(workingSet))];
    }

    // Out of line: an inlined interpolated message would have the hot loop zero its handler's stack space every pair.
    [DoesNotReturn]
    private static void ThrowAllocationFailed(ulong size) =>
        throw new InvalidOperationException($"Allocation of {size} pfns failed in the per-thread workload.");
}
