using FastIova.Caches;

namespace FastIova;

/// <summary>Settings of an <see cref="IovaDomain"/> beyond its granule and start pfn.</summary>
public sealed class IovaDomainOptions
{
    /// <summary>
    /// The number of CPUs the domain models: the number of <see cref="IovaDomain.Cpu"/> caches, the CPUs that a
    /// failure-driven flush walks, and the depot trim threshold (the kernel keeps at most one spare full magazine
    /// per online CPU). Defaults to <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int CpuCount { get; init; } = Environment.ProcessorCount;

    /// <summary>Cached size classes: sizes up to <c>2^(SizeClasses-1)</c> pfns are cached. The kernel uses 6 (up to 32 pfns).</summary>
    public int SizeClasses { get; init; } = 6;

    /// <summary>Pfns per magazine. The kernel uses 127 so that a magazine (a count and 127 pfns) fills exactly 1 KiB.</summary>
    public int MagazineSize { get; init; } = 127;

    /// <summary>
    /// Whether a thread's cache and an <see cref="IovaCache"/> keep a third magazine per size class, a private spare
    /// that takes a full magazine before the shared depot does and gives it back before the depot is asked. Defaults
    /// to <see langword="true"/>: it keeps a lazy DMA mapper's flush cycle (255 ranges against two magazines of 127)
    /// off the shared depot and magazine pool, so threads do not trade magazines across cores; it costs one magazine
    /// (1 KiB at the default size) per class per cache. <see langword="false"/> gives them the kernel's two
    /// magazines. Simulated CPUs always have the kernel's two.
    /// </summary>
    public bool SpareMagazines { get; init; } = true;

    /// <summary>
    /// Checked mode: <c>FreeFast</c> and <c>Free</c> verify that the pfn starts a live range of the right size class and
    /// is not already cached, and throw <see cref="InvalidOperationException"/> otherwise. Costs a tree lookup per fast op.
    /// </summary>
    public bool Checked { get; init; }

    /// <summary>
    /// How often the background depot trimmer runs (it also reclaims the caches of threads that have exited).
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it; <see cref="IovaDomain.TrimDepot"/> still works.
    /// </summary>
    public TimeSpan DepotTrimInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Records every operation and its result in the trace format (see <see cref="Trace.TraceRecorder"/>), so that
    /// <c>fastiova replay</c> reproduces the run. Recording serializes the domain; <see langword="null"/> (the default)
    /// costs nothing. Requires <see cref="CpuCount"/> of at most 64.
    /// </summary>
    public Trace.TraceRecorder? Recorder { get; init; }

    internal void Validate()
    {
        if (CpuCount is < 1 or > 4096)
            throw new ArgumentOutOfRangeException("options", CpuCount, "CpuCount must be between 1 and 4096.");
        if (SizeClasses is < 1 or > RangeCache.MaxClasses)
            throw new ArgumentOutOfRangeException("options", SizeClasses, $"SizeClasses must be between 1 and {RangeCache.MaxClasses}.");
        if (MagazineSize is < 1 or > 1 << 20)
            throw new ArgumentOutOfRangeException("options", MagazineSize, "MagazineSize must be between 1 and 2^20.");
        if (DepotTrimInterval <= TimeSpan.Zero && DepotTrimInterval != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException("options", DepotTrimInterval, "DepotTrimInterval must be positive or Timeout.InfiniteTimeSpan.");
    }

    /// <summary>Which placement search the tree uses; the linear walk is the kernel's, kept as reference and baseline.</summary>
    internal PlacementSearch Search { get; init; } = PlacementSearch.Augmented;
}

/// <summary>The two implementations of the one placement rule.</summary>
internal enum PlacementSearch
{
    /// <summary>O(log n) descent over the gap-augmented tree.</summary>
    Augmented,

    /// <summary>The kernel's walk, gap by gap downwards from the cached node.</summary>
    LinearWalk,
}
