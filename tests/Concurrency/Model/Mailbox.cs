namespace FastIova.Tests.Concurrency.Model;

/// <summary>
/// Ranges in transit between workers, so that a range allocated on one thread is freed on another (the fast path's
/// cross-thread free). Ranges in the mailbox stay claimed in the ledger: their sender still holds them for the domain.
/// </summary>
internal sealed class Mailbox
{
    private readonly object _gate = new();
    private readonly Queue<IovaRange> _ranges = new();

    /// <summary>Leaves a range for another worker.</summary>
    /// <param name="range">A held range.</param>
    public void Post(IovaRange range)
    {
        lock (_gate)
        {
            _ranges.Enqueue(range);
        }
    }

    /// <summary>Takes a range some worker left, if any.</summary>
    /// <param name="range">The range.</param>
    public bool TryTake(out IovaRange range)
    {
        lock (_gate)
        {
            return _ranges.TryDequeue(out range);
        }
    }
}
