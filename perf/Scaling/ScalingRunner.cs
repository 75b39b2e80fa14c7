using System.Diagnostics;

namespace FastIova.Perf.Scaling;

/// <summary>
/// Runs a workload on T dedicated threads: every thread sets up its working set, all start the warm-up on a
/// barrier, meet again, and the timed phase runs from the second barrier until the stop flag (Stopwatch on the
/// coordinating thread). Threads check the flags between chunks of ~100 operations.
/// </summary>
internal static class ScalingRunner
{
    /// <summary>Runs <paramref name="workload"/> once on <paramref name="threads"/> threads, as <paramref name="settings"/> vary it.</summary>
    public static ScalingResult Run(IScalingWorkload workload, int threads, TimeSpan duration, TimeSpan warmup, ScalingSettings settings)
    {
        using IScalingRun run = workload.Prepare(threads, settings);
        var state = new RunState(threads);
        var workers = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            int index = i;
            workers[i] = new Thread(() => Body(run, index, state)) { IsBackground = true, Name = $"scaling-{i}" };
            workers[i].Start();
        }

        state.Start.SignalAndWait(); // every worker initialised: warm up
        Thread.Sleep(warmup);
        Volatile.Write(ref state.WarmupOver, true);
        state.Timed.SignalAndWait(); // every worker warm: time
        long? contentionsBefore = run.TreeLockContentions;
        var stopwatch = Stopwatch.StartNew();
        Thread.Sleep(duration);
        Volatile.Write(ref state.Stop, true);
        state.Stopped.SignalAndWait(); // every worker stopped counting
        stopwatch.Stop();
        long? contentions = run.TreeLockContentions - contentionsBefore;
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        if (state.Failure is { } failure)
        {
            throw new InvalidOperationException($"{workload.Workload}/{workload.Impl} on {threads} threads failed.", failure);
        }

        long ops = state.Ops.Sum();
        double seconds = stopwatch.Elapsed.TotalSeconds;
        return new ScalingResult(workload.Workload, workload.Impl, threads, ops / seconds / 1e6, contentions / seconds);
    }

    private static void Body(IScalingRun run, int index, RunState state)
    {
        try
        {
            // Created on its own thread: a worker's mutable state (its size sequence's cursor, its working set) then
            // sits in this thread's allocation context. Created back to back by one thread, the workers' objects
            // shared cache lines, and every operation of one thread invalidated its neighbours' lines.
            IScalingWorker worker = run.CreateWorker(index);
            worker.Initialize();
            state.Start.SignalAndWait();
            while (!Volatile.Read(ref state.WarmupOver))
            {
                worker.RunChunk();
            }

            state.Timed.SignalAndWait();
            long ops = 0;
            while (!Volatile.Read(ref state.Stop))
            {
                ops += worker.RunChunk();
            }

            state.Ops[index] = ops;
            state.Stopped.SignalAndWait();

            // Give back only when nobody produces any more (a producer-consumer inbox is then final).
            state.Finished.SignalAndWait();
            worker.Finish();
        }
        catch (Exception ex) when (ex is not BarrierPostPhaseException)
        {
            Interlocked.CompareExchange(ref state.Failure, ex, null);
            state.AbandonBarriers();
        }
    }

    private sealed class RunState(int threads)
    {
        public readonly Barrier Start = new(threads + 1);
        public readonly Barrier Timed = new(threads + 1);
        public readonly Barrier Stopped = new(threads + 1);
        public readonly Barrier Finished = new(threads);
        public readonly long[] Ops = new long[threads];
        public bool WarmupOver;
        public bool Stop;
        public Exception? Failure;

        // A failed worker leaves every barrier so that the others and the coordinator do not wait for it forever.
        public void AbandonBarriers()
        {
            Start.RemoveParticipant();
            Timed.RemoveParticipant();
            Stopped.RemoveParticipant();
            Finished.RemoveParticipant();
        }
    }
}
