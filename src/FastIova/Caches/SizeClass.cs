using System.Numerics;

namespace FastIova.Caches;

/// <summary>
/// The kernel's size rules for the range caches (<c>alloc_iova_fast</c>, <c>iova_rcache_get/insert</c>), stated once.
/// </summary>
internal static class SizeClass
{
    /// <summary>
    /// <c>alloc_iova_fast</c> rounds sizes below <c>2^(classes-1)</c> (32 with the kernel's 6 classes) up to a power of
    /// two, so that every range in a class has the same size and any cached pfn of the class fits any request of it.
    /// Larger sizes are not rounded.
    /// </summary>
    public static ulong RoundForAllocation(ulong size, int classes) =>
        size < 1UL << (classes - 1) ? BitOperations.RoundUpToPowerOf2(size) : size;

    /// <summary>
    /// The class of a size: <c>order_base_2(size)</c>, i.e. <c>ceil(log2 size)</c>, 0 for size 1. Size 0, which callers
    /// reject, gives 64: no class.
    /// </summary>
    public static int Of(ulong size) => 64 - BitOperations.LeadingZeroCount(size - 1);
}
