using FastIova.Tests.Correctness.Reference;

namespace FastIova.Tests.Correctness.Differential;

/// <summary>
/// Draws a random op stream for a scenario, looking at the reference model's live ranges so that frees, finds and
/// reserves hit live ranges (edges and interiors) as often as dead pfns. Deterministic for a given seed.
/// </summary>
internal sealed class DifferentialOpGenerator
{
    // Above this many live ranges the stream leans towards frees, keeping the per-op invariant checks cheap.
    private const int CrowdedRangeCount = 160;

    private readonly DifferentialScenario _scenario;
    private readonly Random _random;
    private ulong _lastFreedPfn;

    public DifferentialOpGenerator(DifferentialScenario scenario)
    {
        _scenario = scenario;
        _random = new Random(unchecked(scenario.Seed * 31 + 7));
        _lastFreedPfn = scenario.WindowBase;
    }

    /// <summary>The ops that set the scene: everything between start_pfn and the window is reserved.</summary>
    public IEnumerable<DifferentialOp> Prologue()
    {
        if (_scenario.WindowBase > _scenario.StartPfn)
        {
            yield return DifferentialOp.Reserve(_scenario.StartPfn, _scenario.WindowBase - 1);
        }
    }

    public DifferentialOp Next(ReferenceIovaDomain reference)
    {
        int roll = _random.Next(1000);
        if (reference.Count > CrowdedRangeCount && roll < 700)
        {
            return Free(reference);
        }

        return roll switch
        {
            < 420 => Alloc(),
            < 460 => DifferentialOp.AllocThrowing(Size(), Limit(), _random.Next(2) == 0),
            < 720 => Free(reference),
            < 820 => DifferentialOp.Find(LivePfnOrAny(reference)),
            < 940 => Reserve(reference),
            < 970 => DifferentialOp.Count(),
            _ => DifferentialOp.CompareRanges(),
        };
    }

    private DifferentialOp Alloc() => DifferentialOp.Alloc(Size(), Limit(), _random.Next(2) == 0);

    private ulong Size()
    {
        ulong w = _scenario.WindowSize;
        return _random.Next(100) switch
        {
            < 45 => (ulong)_random.Next(1, 9),
            < 65 => RandomIn(1, Math.Max(1, w / 4)),
            < 78 => 1UL << _random.Next(0, 1 + System.Numerics.BitOperations.Log2(w)),
            < 90 => RandomIn(w / 2, w + (w / 2)) | 1, // large and not a power of two: exhaustion
            < 95 => RandomIn(w, 1UL << 20),
            _ => RandomIn(1UL << 20, 1UL << 36), // fits only under a huge limit
        };
    }

    private ulong Limit()
    {
        DifferentialScenario s = _scenario;
        ulong limit = _random.Next(100) switch
        {
            < 55 => s.WindowBase + RandomIn(0, s.WindowSize - 1),
            < 65 => s.WindowTop,
            < 75 => s.Dma32Pfn - 1 + (ulong)_random.Next(0, 3), // below, at and above the boundary
            < 82 => s.StartPfn + (ulong)_random.Next(0, 4),
            < 90 => s.WindowBase + RandomIn(0, 2 * s.WindowSize),
            < 95 => s.MaxPfn - (ulong)_random.Next(0, 3),
            _ => Math.Min(s.MaxPfn, (1UL << 48) - 1),
        };

        // A limit below start_pfn is bad input (the bad-input tests cover it).
        return Math.Clamp(limit, s.StartPfn, s.MaxPfn);
    }

    private DifferentialOp Free(ReferenceIovaDomain reference)
    {
        int roll = _random.Next(100);
        ulong pfn = roll switch
        {
            < 75 => LivePfnOrAny(reference),
            < 90 => AnyPfn(),
            _ => _lastFreedPfn, // freed before: usually dead by now
        };
        _lastFreedPfn = pfn;
        return DifferentialOp.Free(pfn);
    }

    private DifferentialOp Reserve(ReferenceIovaDomain reference)
    {
        DifferentialScenario s = _scenario;
        int roll = _random.Next(100);
        if (roll < 55 && reference.Count > 0)
        {
            // Overlap one range, or several consecutive ones, with ragged edges on either side.
            int first = _random.Next(reference.Count);
            int last = Math.Min(reference.Count - 1, first + (roll < 25 ? 0 : _random.Next(1, 5)));
            IovaRange lower = reference.RangeAt(first);
            IovaRange upper = reference.RangeAt(last);
            ulong lo = _random.Next(3) == 0 ? RandomIn(lower.PfnLo, lower.PfnHi) : SaturatingSub(lower.PfnLo, (ulong)_random.Next(0, 4));
            ulong hi = _random.Next(3) == 0 ? RandomIn(upper.PfnLo, upper.PfnHi) : Math.Min(s.MaxPfn, upper.PfnHi + (ulong)_random.Next(0, 4));
            return DifferentialOp.Reserve(Math.Min(lo, hi), Math.Max(lo, hi));
        }

        if (roll < 60 && s.WindowBase > s.StartPfn)
        {
            // Re-reserve the space below the window (it may have been freed): merges across everything there.
            return DifferentialOp.Reserve(RandomIn(s.StartPfn, s.WindowBase - 1), s.WindowBase - 1);
        }

        if (roll < 64 && s.StartPfn > 0)
        {
            ulong lo = RandomIn(0, s.StartPfn - 1);
            return DifferentialOp.Reserve(lo, lo + (ulong)_random.Next(0, 8));
        }

        ulong start = AnyPfn();
        ulong length = roll < 95 ? RandomIn(0, s.WindowSize / 8) : RandomIn(0, s.WindowSize);
        return DifferentialOp.Reserve(start, Math.Min(s.MaxPfn, start + length));
    }

    private ulong LivePfnOrAny(ReferenceIovaDomain reference)
    {
        if (reference.Count == 0 || _random.Next(10) == 0)
        {
            return AnyPfn();
        }

        IovaRange range = reference.RangeAt(_random.Next(reference.Count));
        if (range.PfnHi < _scenario.WindowBase && _random.Next(40) != 0)
        {
            return AnyPfn(); // keep the reservation below the window most of the time
        }

        return _random.Next(3) switch
        {
            0 => range.PfnLo,
            1 => range.PfnHi,
            _ => RandomIn(range.PfnLo, range.PfnHi),
        };
    }

    private ulong AnyPfn()
    {
        DifferentialScenario s = _scenario;
        return _random.Next(10) switch
        {
            < 8 => s.WindowBase + RandomIn(0, s.WindowSize + 2),
            8 => s.Dma32Pfn - 2 + (ulong)_random.Next(0, 4),
            _ => s.MaxPfn - (ulong)_random.Next(0, 3),
        };
    }

    private ulong RandomIn(ulong lo, ulong hi) => lo >= hi ? lo : lo + (ulong)_random.NextInt64(0, (long)Math.Min(hi - lo, long.MaxValue - 1) + 1);

    private static ulong SaturatingSub(ulong a, ulong b) => a > b ? a - b : 0;
}
