namespace FastIova.Dma;

/// <summary>One segment of a scatter list: a physically contiguous buffer.</summary>
/// <param name="Physical">The physical address of the segment's first byte.</param>
/// <param name="Length">Its length in bytes, at least 1.</param>
public readonly record struct ScatterSegment(ulong Physical, ulong Length);
