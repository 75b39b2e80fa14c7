using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Model;

/// <summary>
/// What the workers of a scenario hold. A worker claims a range right after the domain hands it out and releases it
/// right before giving it back, so at every moment the claimed ranges are a subset of what the domain must consider
/// taken: a claim that overlaps a held range means the domain handed the same pfns out twice.
/// </summary>
internal sealed class OwnershipLedger
{
    private readonly object _gate = new();
    private readonly List<(IovaRange Range, string Owner)> _held = [];

    /// <summary>Records that <paramref name="owner"/> now holds <paramref name="range"/>; asserts nobody else holds any of it.</summary>
    /// <param name="range">The range just handed out.</param>
    /// <param name="owner">Who got it, for the bug report.</param>
    public void Claim(IovaRange range, string owner)
    {
        lock (_gate)
        {
            foreach ((IovaRange held, string holder) in _held)
            {
                Specification.Assert(
                    range.PfnHi < held.PfnLo || range.PfnLo > held.PfnHi,
                    "Handed out twice: {0} to {1} overlaps {2}.", range, owner, $"{held} held by {holder}");
            }

            _held.Add((range, owner));
        }
    }

    /// <summary>Records that the holder of <paramref name="range"/> is about to give it back.</summary>
    /// <param name="range">A held range.</param>
    public void Release(IovaRange range)
    {
        lock (_gate)
        {
            int index = _held.FindIndex(h => h.Range == range);
            Specification.Assert(index >= 0, "Released {0}, which nobody holds.", range);
            _held.RemoveAt(index);
        }
    }

    /// <summary>The held ranges in address order.</summary>
    public IovaRange[] Held()
    {
        lock (_gate)
        {
            return [.. _held.Select(h => h.Range).OrderBy(r => r.PfnLo)];
        }
    }
}
