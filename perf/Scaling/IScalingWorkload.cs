namespace FastIova.Perf.Scaling;

/// <summary>A workload of the scaling mode, for one implementation: a row family of the scaling table.</summary>
internal interface IScalingWorkload
{
    /// <summary>The access pattern ("per-thread", "producer-consumer").</summary>
    string Workload { get; }

    /// <summary>The allocator ("fastiova-fast", "fastiova-tree", "global-lock").</summary>
    string Impl { get; }

    /// <summary>
    /// Creates a fresh allocator for a run on <paramref name="threads"/> threads and one worker per thread, as
    /// <paramref name="settings"/> vary it.
    /// </summary>
    IScalingRun Prepare(int threads, ScalingSettings settings);
}

/// <summary>One run of a workload: the allocator and its workers, disposed after the run.</summary>
internal interface IScalingRun : IDisposable
{
    /// <summary>The worker of thread <paramref name="index"/>.</summary>
    IScalingWorker CreateWorker(int index);

    /// <summary>
    /// The domain's <see cref="IovaStatistics.TreeLockContentions"/> so far (read without the lock, while the workers
    /// run), or null where the allocator has no tree lock (the global-lock baseline).
    /// </summary>
    long? TreeLockContentions { get; }
}
