using System.Runtime.CompilerServices;

namespace FastIova.Dma;

// The flush timer (fq_flush_timeout): armed by an append, it flushes and reaps every queue once it fires.
internal sealed partial class FlushQueues
{
    // The real timer's scratch: the owned queues it holds (from the front) and those it covers (from the back). Under
    // the reap gate.
    private FlushQueue[] _timerScratch = [];

    /// <summary>Whether the timer is armed.</summary>
    public bool TimerArmed => Volatile.Read(ref _timerOn) != 0;

    /// <summary><c>queue_iova</c>'s last step, after an append: arms the timer unless it is armed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ArmTimerIfIdle(DmaMapper via)
    {
        // The read first keeps the flag's line shared while the timer is armed, as the kernel does.
        if (Volatile.Read(ref _timerOn) == 0 && Interlocked.Exchange(ref _timerOn, 1) == 0)
            Arm(via);
    }

    /// <summary>
    /// <c>fq_flush_timeout</c>: if the timer is armed, disarms it, flushes, and reaps every queue (the CPUs' in order,
    /// then the threads' and workers'): into the cache of the mapper that armed it (simulated timer), or the domain's
    /// timer cache (real timer). The real timer leaves busy owners' queues to their owners (<see cref="CoverAndReap"/>).
    /// </summary>
    /// <returns>False (nothing done) if the timer was not armed.</returns>
    public bool Timeout()
    {
        lock (_timerGate)
        {
            if (_timerStopped || Interlocked.Exchange(ref _timerOn, 0) == 0)
                return false;
            if (!_realTimer)
                FlushAndReapAll(Volatile.Read(ref _armedBy) ?? _timerCache, close: false);
            else if (CoverAndReap(_timerCache) && Interlocked.Exchange(ref _timerOn, 1) == 0)
                _timer?.Change(_timeout, System.Threading.Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    /// <summary>What the real timer runs: <see cref="Timeout"/>, quietly doing nothing once the domain is gone.</summary>
    public void OnTimer()
    {
        try
        {
            Timeout();
        }
        catch (ObjectDisposedException)
        {
            // The domain was disposed while the timer was due; Close has freed what was queued.
        }
    }

    /// <summary>
    /// The real timer's run: one flush-all; the shared queues reaped as the kernel's timer reaps them; the owned queues
    /// of owners that are gone, or that have not unmapped since the last run (what it covered is still queued), held
    /// and freed whole; every other owned queue covered, without holding it, so that its owner frees what the flush
    /// covers at its next unmap. Returns whether a covered queue holds entries: the timer must run again, to free
    /// them should the owner stop unmapping.
    /// </summary>
    /// <remarks>
    /// Holding a busy owner's queue makes the owner wait while the timer reaps, and the timer's thread must first take
    /// a core from a mapping thread: on two cores, holding both workers' queues every 10 ms cost them 11% of their
    /// lazy-mapping throughput.
    /// </remarks>
    private bool CoverAndReap(IIovaSink sink)
    {
        bool rearm;
        lock (_reapGate)
        {
            FlushQueue[] owned = Volatile.Read(ref _ownedQueues);
            if (_timerScratch.Length < owned.Length)
                _timerScratch = new FlushQueue[owned.Length];
            FlushQueue[] scratch = _timerScratch;
            int idleCount = 0, busyStart = owned.Length;
            foreach (FlushQueue queue in owned)
            {
                if (queue.Count == 0)
                    continue;
                if (queue.IsAbandoned || queue.HoldsCoveredEntries)
                    scratch[idleCount++] = queue;
                else
                    scratch[--busyStart] = queue;
            }

            ReadOnlySpan<FlushQueue> busy = scratch.AsSpan(busyStart, owned.Length - busyStart);
            FlushHoldingAndCovering(held: scratch.AsSpan(0, idleCount), covered: busy, close: false, sink);
            rearm = !busy.IsEmpty;
            Array.Clear(scratch); // the registry decides how long a queue lives
        }

        DropAbandoned();
        return rearm;
    }

    private void Arm(DmaMapper via)
    {
        // A worker's cache has one user at a time, so a simulated timer fired from elsewhere frees into the timer cache.
        Volatile.Write(ref _armedBy, via is DmaWorker ? _timerCache : via);
        _timer?.Change(_timeout, System.Threading.Timeout.InfiniteTimeSpan);
    }
}
