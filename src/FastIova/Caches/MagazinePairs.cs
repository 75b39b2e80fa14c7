using System.Runtime.CompilerServices;

namespace FastIova.Caches;

/// <summary>A cache's magazine pairs, one per size class, stored inline in the cache object.</summary>
[InlineArray(RangeCache.MaxClasses)]
internal struct MagazinePairs
{
    private MagazinePair _first;
}
