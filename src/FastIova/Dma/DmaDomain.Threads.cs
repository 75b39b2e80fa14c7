namespace FastIova.Dma;

// The real-thread world: the calling thread's own mapper, per-worker mappers, and the timer's cache.
public sealed partial class DmaDomain
{
    // Accepted retention, as in the IOVA domain's thread caches: a thread's last mapper keeps its domain reachable
    // until the thread maps in another domain or exits.
    [ThreadStatic]
    private static DmaThreadMapper? t_lastMapper;

    private readonly DmaTimerCache? _timerCache;
    private ThreadLocal<DmaThreadMapper?>? _threadMappers;

    /// <summary>
    /// Maps <paramref name="size"/> bytes at <paramref name="physical"/> for <paramref name="device"/>'s streaming DMA,
    /// through the calling thread's own range cache and flush queue; see <see cref="DmaMapper.TryMap"/>.
    /// </summary>
    /// <inheritdoc cref="DmaMapper.TryMap" path="/param"/>
    /// <returns>False if no IOVA fits below the device's mask (or the IOMMU model refused the page-table map).</returns>
    public bool TryMap(DmaDevice device, ulong physical, ulong size, out ulong dmaAddress) =>
        CurrentThreadMapper().TryMap(device, physical, size, out dmaAddress);

    /// <summary>As <see cref="TryMap(DmaDevice, ulong, ulong, out ulong)"/>, throwing when it fails.</summary>
    /// <inheritdoc cref="DmaMapper.Map" path="/param"/>
    /// <returns>The DMA address.</returns>
    /// <exception cref="IovaExhaustedException">No IOVA fits, or the IOMMU model refused the map.</exception>
    public ulong Map(DmaDevice device, ulong physical, ulong size) => CurrentThreadMapper().Map(device, physical, size);

    /// <summary>The IOVA of a coherent buffer, through the calling thread's cache; see <see cref="DmaMapper.TryMapCoherent"/>.</summary>
    /// <inheritdoc cref="DmaMapper.TryMapCoherent" path="/param"/>
    /// <returns>False if no IOVA fits below the coherent mask (or the IOMMU model refused the map).</returns>
    public bool TryMapCoherent(DmaDevice device, ulong physical, ulong size, out ulong dmaAddress) =>
        CurrentThreadMapper().TryMapCoherent(device, physical, size, out dmaAddress);

    /// <summary>As <see cref="TryMapCoherent(DmaDevice, ulong, ulong, out ulong)"/>, throwing when it fails.</summary>
    /// <inheritdoc cref="DmaMapper.MapCoherent" path="/param"/>
    /// <returns>The DMA address.</returns>
    /// <exception cref="IovaExhaustedException">No IOVA fits, or the IOMMU model refused the map.</exception>
    public ulong MapCoherent(DmaDevice device, ulong physical, ulong size) => CurrentThreadMapper().MapCoherent(device, physical, size);

    /// <summary>Maps a scatter list through the calling thread's cache; see <see cref="DmaMapper.TryMapScatterList"/>.</summary>
    /// <inheritdoc cref="DmaMapper.TryMapScatterList" path="/param"/>
    /// <returns>False if no IOVA fits below the device's mask (or the IOMMU model refused a segment's map).</returns>
    public bool TryMapScatterList(DmaDevice device, ulong segmentBoundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses) =>
        CurrentThreadMapper().TryMapScatterList(device, segmentBoundaryMask, segments, dmaAddresses);

    /// <summary>As <see cref="TryMapScatterList(DmaDevice, ulong, ReadOnlySpan{ScatterSegment}, Span{ulong})"/>, throwing when it fails.</summary>
    /// <inheritdoc cref="DmaMapper.MapScatterList" path="/param"/>
    /// <exception cref="IovaExhaustedException">No IOVA fits, or the IOMMU model refused the map.</exception>
    public void MapScatterList(DmaDevice device, ulong segmentBoundaryMask, ReadOnlySpan<ScatterSegment> segments, Span<ulong> dmaAddresses) =>
        CurrentThreadMapper().MapScatterList(device, segmentBoundaryMask, segments, dmaAddresses);

    /// <summary>
    /// Unmaps a mapping (made by any thread, worker or CPU) through the calling thread: strict, the IOVA is freed into
    /// the thread's cache; lazy, it waits in the thread's own flush queue (per-CPU mode) or the shared one.
    /// </summary>
    /// <inheritdoc cref="DmaMapper.Unmap" path="/param"/>
    public void Unmap(ulong dmaAddress, ulong size) => CurrentThreadMapper().Unmap(dmaAddress, size);

    /// <summary>Unmaps a mapped scatter list through the calling thread; see <see cref="DmaMapper.UnmapScatterList"/>.</summary>
    /// <inheritdoc cref="DmaMapper.UnmapScatterList" path="/param"/>
    public void UnmapScatterList(ReadOnlySpan<ulong> dmaAddresses, ReadOnlySpan<ScatterSegment> segments) =>
        CurrentThreadMapper().UnmapScatterList(dmaAddresses, segments);

    /// <summary>
    /// Creates a mapper with its own range cache and (per-CPU lazy mode) its own flush queue, for a caller that keeps
    /// one per worker: no per-call thread lookup (see <see cref="DmaWorker"/>).
    /// </summary>
    /// <returns>A new worker; dispose it to flush its queue and return its ranges.</returns>
    /// <exception cref="ObjectDisposedException">The domain has been disposed.</exception>
    public DmaWorker CreateWorker()
    {
        ThrowIfDisposed();
        return DmaWorker.Create(this);
    }

    /// <summary>Thread and worker flush queues registered now (live owners, and exited ones whose entries await the timer).</summary>
    internal int OwnedFlushQueues => _queues?.OwnedQueueCount ?? 0;

    /// <summary>A worker's Dispose: its queue flushed, freed into <paramref name="sink"/> (its own cache) and forgotten.</summary>
    internal void RetireQueue(FlushQueue queue, IIovaSink sink) => _queues?.Retire(queue, sink);

    private DmaMapper CurrentThreadMapper()
    {
        DmaThreadMapper? last = t_lastMapper;
        if (last is not null && last.Domain == this)
            return last;
        return CurrentThreadMapperFromTable();
    }

    private DmaThreadMapper CurrentThreadMapperFromTable()
    {
        ThrowIfDisposed();
        ThreadLocal<DmaThreadMapper?> mappers = Volatile.Read(ref _threadMappers) ?? CreateThreadTable();
        DmaThreadMapper? mapper = mappers.Value;
        if (mapper is null)
            mappers.Value = mapper = new DmaThreadMapper(this, _queues?.CreateOwned(Thread.CurrentThread));
        return t_lastMapper = mapper;
    }

    private ThreadLocal<DmaThreadMapper?> CreateThreadTable()
    {
        var table = new ThreadLocal<DmaThreadMapper?>();
        ThreadLocal<DmaThreadMapper?>? raced = Interlocked.CompareExchange(ref _threadMappers, table, null);
        if (raced is null)
            return table;
        table.Dispose();
        return raced;
    }

    // After the queues are closed and empty: the timer cannot run any more, and no thread maps.
    private void DisposeThreadState()
    {
        _timerCache?.Dispose();
        _threadMappers?.Dispose();
    }
}
