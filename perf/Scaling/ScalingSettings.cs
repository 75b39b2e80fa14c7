namespace FastIova.Perf.Scaling;

/// <summary>
/// What a scaling run may vary besides the thread count, for analysis; the defaults are the workloads as documented.
/// </summary>
/// <param name="WorkingSet">
/// Live ranges per thread in the per-thread workloads. One tree-path thread with N times 32 holds as many ranges as N
/// threads with 32 each, so it shows what the larger tree costs an operation with no other thread running.
/// </param>
/// <param name="DmaQueueSlots">
/// Slots per flush queue in <c>dma-lazy</c> (a power of two), or null for the kernel's 256. A queue flushes when it
/// fills, so this sets how often the threads' flushes meet on the domain's shared flush counters.
/// </param>
internal sealed record ScalingSettings(int WorkingSet = ScalingSettings.DefaultWorkingSet, int? DmaQueueSlots = null)
{
    /// <summary>Live ranges per thread by default: a few dozen, like a driver's in-flight DMA mappings.</summary>
    public const int DefaultWorkingSet = 32;

    /// <summary>The documented workloads.</summary>
    public static ScalingSettings Default { get; } = new();
}
