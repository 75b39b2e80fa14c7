namespace FastIova.Dma;

/// <summary>
/// Checked mode's table of live mappings, by first pfn: an unmap must name one exactly as it was mapped. The kernel
/// does not check, and an unmap of the wrong size or of a stale address silently corrupts its allocator.
/// </summary>
internal sealed class DmaMappingLedger
{
    private readonly Dictionary<ulong, Mapping> _live = [];

    /// <summary>Live mappings.</summary>
    public int Count
    {
        get
        {
            lock (_live)
                return _live.Count;
        }
    }

    /// <summary>Records a new mapping of <paramref name="size"/> bytes at <paramref name="address"/>.</summary>
    public void Add(ulong pfn, ulong address, ulong size, DmaDevice device)
    {
        lock (_live)
        {
            if (!_live.TryAdd(pfn, new Mapping(address, size, device.Id)))
                throw new InvalidOperationException($"Checked mode: pfn {pfn} was handed out while mapping 0x{_live[pfn].Address:x} is live.");
        }
    }

    /// <summary>Forgets the mapping the unmap names, or throws (changing nothing) if it does not name one exactly.</summary>
    public void Remove(ulong pfn, ulong address, ulong size)
    {
        lock (_live)
        {
            if (!_live.TryGetValue(pfn, out Mapping mapping))
                throw new InvalidOperationException($"Checked mode: unmap of 0x{address:x} ({size} bytes): no mapping starts in that granule (never mapped, or already unmapped).");
            if (mapping.Address != address || mapping.Size != size)
                throw new InvalidOperationException($"Checked mode: unmap of 0x{address:x} ({size} bytes) does not match the mapping of device {mapping.Device} at 0x{mapping.Address:x} ({mapping.Size} bytes).");
            _live.Remove(pfn);
        }
    }

    private readonly record struct Mapping(ulong Address, ulong Size, int Device);
}
