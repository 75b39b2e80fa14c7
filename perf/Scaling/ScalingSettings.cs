namespace FastIova.Perf.Scaling;

/// <summary>
/// What a scaling run may vary besides the thread count, for analysis; the defaults are the workloads as documented.
/// </summary>
/// <param name="WorkingSet">
/// Live ranges per thread in the per-thread workloads. One tree-path thread with N times 32 holds as many ranges as N
/// threads with 32 each, so it shows what the larger tree costs an operation with no other thread running.
/// </param>
/// <param name="WorkingSets">
/// Working sets per thread in the per-thread workloads, all live, worked one at a time for <see cref="TurnPairs"/>
/// pairs each. Tree-path threads take the tree lock in long turns, so one thread with N sets meets the tree that N
/// threads leave one another, with no other thread running.
/// </param>
/// <param name="DmaQueueSlots">
/// Slots per flush queue in <c>dma-lazy</c> (a power of two), or null for the kernel's 256. A queue flushes when it
/// fills, so this sets how often the threads' flushes meet on the domain's shared flush counters.
/// </param>
internal sealed record ScalingSettings(int WorkingSet = ScalingSettings.DefaultWorkingSet, int WorkingSets = 1, int? DmaQueueSlots = null)
{
    /// <summary>
    /// Pairs a worker spends on one of its working sets before the next: about 4 ms of tree-path work on this project's
    /// 2-core machine, where two tree threads hand the lock over 23-224 times a second (turns of 4-43 ms).
    /// </summary>
    public const int TurnPairs = 65_536;

    /// <summary>Live ranges per thread by default: a few dozen, like a driver's in-flight DMA mappings.</summary>
    public const int DefaultWorkingSet = 32;

    /// <summary>The documented workloads.</summary>
    public static ScalingSettings Default { get; } = new();
}
