namespace FastIova.Perf.Scaling;

/// <summary>One row of the scaling table.</summary>
/// <param name="Workload">The access pattern.</param>
/// <param name="Impl">The allocator.</param>
/// <param name="Threads">Threads that ran it.</param>
/// <param name="Mops">Million operations (allocations plus frees) per second, all threads together.</param>
/// <param name="LockWaitsPerSecond">Tree-lock entries per second that waited for another thread (hand-overs of the
/// tree), or null where the allocator has no tree lock.</param>
internal sealed record ScalingResult(string Workload, string Impl, int Threads, double Mops, double? LockWaitsPerSecond)
{
    /// <summary>Million operations per second per thread.</summary>
    public double MopsPerThread => Mops / Threads;
}
