using System.Runtime.CompilerServices;

namespace FastIova.Dma;

/// <summary>
/// The IOVA layout of a scatter list, exactly <c>iommu_dma_map_sg</c>'s loop: each segment keeps its offset within the
/// granule and is rounded up to whole granules; a segment that would cross a segment boundary of the layout starts at
/// the boundary instead (padding after the previous one), unless it is too long to fit between boundaries anyway.
/// </summary>
internal static class ScatterListLayout
{
    /// <summary>
    /// Lays the segments out from 0. Writes each segment's offset in the layout (its start plus its offset within its
    /// granule) to <paramref name="offsets"/> and returns the layout's length in bytes, a multiple of the granule.
    /// </summary>
    /// <exception cref="ArgumentException">The layout's length overflows 64 bits.</exception>
    public static ulong Lay(ReadOnlySpan<ScatterSegment> segments, ulong boundaryMask, ulong granule, Span<ulong> offsets)
    {
        ulong total = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            ulong offset = segments[i].Physical & (granule - 1);
            if (!TryRoundUp(segments[i].Length, offset, granule, out ulong length))
                throw new ArgumentException($"Segment {i}'s {segments[i].Length} bytes overflow 64 bits.", "segments");

            // The distance to the next boundary; the kernel pads only when the segment would cross it but fits in a
            // boundary window (pad < length - 1), and with the all-ones mask never (pad is then 2^64 - total).
            ulong pad = (boundaryMask - total + 1) & boundaryMask;
            if (pad != 0 && pad < length - 1)
                total = Add(total, pad);
            offsets[i] = total + offset;
            total = Add(total, length);
        }

        return total;
    }

    /// <summary>
    /// <c>iova_align(size + offset)</c>: the whole granules covering <paramref name="size"/> bytes that start
    /// <paramref name="offset"/> bytes into a granule; false for a size of 0 and where that overflows 64 bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRoundUp(ulong size, ulong offset, ulong granule, out ulong rounded)
    {
        ulong last = size - 1 + offset;
        bool fits = last >= offset && last <= ulong.MaxValue - granule;
        rounded = fits ? (last | (granule - 1)) + 1 : 0;
        return fits;
    }

    private static ulong Add(ulong a, ulong b) =>
        a + b >= a ? a + b : throw new ArgumentException("The scatter list's IOVA layout overflows 64 bits.", "segments");
}
