namespace FastIova.Dma;

/// <summary>Where a flush queue's reaped IOVAs go: a CPU's or worker's range cache, or the tree.</summary>
internal interface IIovaSink
{
    /// <summary><c>free_iova_fast(pfn, pages)</c> through this sink's cache (or the tree's free).</summary>
    void FreeIova(ulong pfn, ulong pages);
}
