using FastIova.Dma;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>An IOMMU model whose page tables refuse the next map when told to, as a trace's <c>map_nomem</c> does.</summary>
internal sealed class RefusingIommu : IIommuModel
{
    public bool RefuseNext { get; set; }

    public bool TryMap(DmaDevice device, ulong iova, ulong physical, ulong size)
    {
        bool refuse = RefuseNext;
        RefuseNext = false;
        return !refuse;
    }
}
