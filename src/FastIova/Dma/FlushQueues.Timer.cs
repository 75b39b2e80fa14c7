using System.Runtime.CompilerServices;

namespace FastIova.Dma;

// The flush timer (fq_flush_timeout): armed by an append, it flushes and reaps every queue once it fires.
internal sealed partial class FlushQueues
{
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
    /// timer cache (real timer).
    /// </summary>
    /// <returns>False (nothing done) if the timer was not armed.</returns>
    public bool Timeout()
    {
        lock (_timerGate)
        {
            if (_timerStopped || Interlocked.Exchange(ref _timerOn, 0) == 0)
                return false;
            IIovaSink sink = _realTimer ? _timerCache : Volatile.Read(ref _armedBy) ?? _timerCache;
            FlushAndReapAll(sink, close: false);
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

    private void Arm(DmaMapper via)
    {
        // A worker's cache has one user at a time, so a simulated timer fired from elsewhere frees into the timer cache.
        Volatile.Write(ref _armedBy, via is DmaWorker ? _timerCache : via);
        _timer?.Change(_timeout, System.Threading.Timeout.InfiniteTimeSpan);
    }
}
