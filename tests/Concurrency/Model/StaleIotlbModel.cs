using FastIova.Dma;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Model;

/// <summary>
/// An IOMMU model that knows when an IOTLB may still translate an unmapped IOVA: from the page-table unmap until a
/// flush-all that began after it has completed (strict mode: until the range's own sync). A map of such an IOVA is
/// the bug lazy unmapping must never allow (a device could reach the new buffer through the stale entry).
/// </summary>
internal sealed class StaleIotlbModel : IIommuModel
{
    private readonly object _gate = new();

    // Granule -> the number of flush-alls begun when it was unmapped; removed once a later-begun flush completes.
    private readonly Dictionary<ulong, int> _stale = [];
    private int _begun;
    private int _completed;

    /// <summary>Flush-alls completed.</summary>
    public int Flushes
    {
        get
        {
            lock (_gate)
            {
                return _completed;
            }
        }
    }

    public bool TryMap(DmaDevice device, ulong iova, ulong physical, ulong size)
    {
        lock (_gate)
        {
            for (ulong page = iova / SmallDmaDomain.Granule; page < (iova + size) / SmallDmaDomain.Granule; page++)
            {
                Specification.Assert(
                    !_stale.TryGetValue(page, out int begun),
                    "IOVA page 0x{0:x} mapped again while the IOTLB may hold it: unmapped when {1} flush-alls had begun, none begun since has completed.",
                    page, begun);
            }
        }

        return true;
    }

    public void Unmap(ulong iova, ulong size)
    {
        lock (_gate)
        {
            for (ulong page = iova / SmallDmaDomain.Granule; page < (iova + size) / SmallDmaDomain.Granule; page++)
            {
                _stale[page] = _begun;
            }
        }
    }

    public void SyncIotlb(ulong iova, ulong size)
    {
        lock (_gate)
        {
            for (ulong page = iova / SmallDmaDomain.Granule; page < (iova + size) / SmallDmaDomain.Granule; page++)
            {
                _stale.Remove(page);
            }
        }
    }

    // Two steps, each under the gate, so that other threads can run while the flush is in progress.
    public void FlushIotlbAll()
    {
        int mine;
        lock (_gate)
        {
            mine = ++_begun;
        }

        lock (_gate)
        {
            foreach (ulong page in _stale.Where(s => s.Value < mine).Select(s => s.Key).ToList())
            {
                _stale.Remove(page);
            }

            _completed++;
        }
    }
}
