using FastIova.Dma;

namespace FastIova.Perf.Scaling.Sources;

/// <summary>
/// The DMA layer through a <see cref="DmaWorker"/> (its fastest handle): each "allocation" maps one 4 KiB buffer, a
/// packet, whatever size the worker asks for, and each "free" unmaps it. The buffer's physical address moves on with
/// every map, so that offsets inside the granule do not repeat.
/// </summary>
internal struct DmaWorkerSource(DmaWorker worker, DmaDevice device) : IRangeSource
{
    /// <summary>Bytes per mapped buffer.</summary>
    public const ulong BufferBytes = 4096;

    private ulong _physical;

    /// <inheritdoc />
    public bool TryAllocate(ulong size, out ulong pfn)
    {
        _physical += BufferBytes;
        return worker.TryMap(device, _physical, BufferBytes, out pfn);
    }

    /// <inheritdoc />
    public void Free(ulong pfn, ulong size) => worker.Unmap(pfn, BufferBytes);
}
