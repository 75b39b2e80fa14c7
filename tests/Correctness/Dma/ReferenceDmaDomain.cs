using FastIova.Dma;
using FastIova.Tests.Correctness.Caches;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>
/// A plain model of the DMA layer written from TRACE-FORMAT-DMA.md, with lists and no cleverness: the allocation
/// steps of <c>alloc_dma</c>, the byte arithmetic, the scatter-list loop and the flush queues with their two counters
/// and timer. The range caches and the tree beneath are <see cref="CacheLayerModel"/>'s, so a differential test against
/// this model checks the DMA layer's rules.
/// </summary>
internal sealed class ReferenceDmaDomain : IDisposable
{
    private readonly ulong _granule;
    private readonly int _shift;
    private readonly ulong _apertureEnd;
    private readonly DmaUnmapMode _mode;
    private readonly Dictionary<int, DeviceModel> _devices = [];
    private readonly List<QueueEntry>[] _queues;
    private readonly int _slots;
    private long _start;
    private long _finish;
    private bool _timerArmed;
    private int _timerCpu;

    public ReferenceDmaDomain(ulong granule, ulong apertureStart, ulong apertureEnd, int cpuCount, DmaUnmapMode mode)
    {
        _granule = granule;
        _shift = System.Numerics.BitOperations.Log2(granule);
        _apertureEnd = apertureEnd;
        _mode = mode;
        Caches = new CacheLayerModel(granule, Math.Max(1, apertureStart >> _shift), classes: 6, magazineSize: 127, cpuCount);
        _queues = new List<QueueEntry>[mode == DmaUnmapMode.LazySingleQueue ? 1 : cpuCount];
        for (int i = 0; i < _queues.Length; i++)
            _queues[i] = [];
        _slots = mode == DmaUnmapMode.LazySingleQueue ? 32768 : 256;
    }

    /// <summary>The cache layer and tree beneath.</summary>
    public CacheLayerModel Caches { get; }

    public int Pending => _queues.Sum(q => q.Count);

    public long Flushes => _finish;

    public bool TimerArmed => _timerArmed;

    public long Flips { get; private set; }

    /// <summary>Ranges waiting in queues, as (pfn, pages).</summary>
    public IEnumerable<(ulong Pfn, ulong Pages)> Queued => _queues.SelectMany(q => q).Select(e => (e.Pfn, e.Pages));

    public void Declare(int id, ulong dmaMask, ulong coherentMask, bool workaround) =>
        _devices[id] = new DeviceModel(dmaMask, coherentMask) { Workaround = workaround };

    public bool Uses32BitWorkaround(int id) => _devices[id].Workaround;

    public ulong? Map(int cpu, int device, ulong phys, ulong size)
    {
        ulong off = phys % _granule;
        ulong bytes = RoundUp(size + off);
        return AllocDma(cpu, device, bytes, _devices[device].DmaMask) is { } iova ? iova + off : null;
    }

    public ulong? MapCoherent(int cpu, int device, ulong size) =>
        AllocDma(cpu, device, RoundUp(size), _devices[device].CoherentMask);

    /// <summary>The page-table map fails after the IOVA was allocated: freed at once, never queued.</summary>
    public void MapNoMem(int cpu, int device, ulong phys, ulong size)
    {
        ulong off = phys % _granule;
        ulong bytes = RoundUp(size + off);
        if (AllocDma(cpu, device, bytes, _devices[device].DmaMask) is { } iova)
            Caches.FreeFast(cpu, iova >> _shift, bytes >> _shift);
    }

    /// <summary>The loop of map_sg as the spec writes it.</summary>
    public ulong[]? MapSg(int cpu, int device, ulong boundaryMask, (ulong Off, ulong Len)[] segments)
    {
        ulong total = 0;
        var starts = new ulong[segments.Length];
        var offsets = new ulong[segments.Length];
        for (int i = 0; i < segments.Length; i++)
        {
            ulong o = segments[i].Off & (_granule - 1);
            ulong l = RoundUp(segments[i].Len + o);
            ulong pad = unchecked(boundaryMask - total + 1) & boundaryMask;
            if (pad != 0 && pad < l - 1)
                total += pad;
            starts[i] = total;
            offsets[i] = o;
            total += l;
        }

        if (AllocDma(cpu, device, total, _devices[device].DmaMask) is not { } iova)
            return null;
        return [.. Enumerable.Range(0, segments.Length).Select(i => iova + starts[i] + offsets[i])];
    }

    public void Unmap(int cpu, ulong addr, ulong size)
    {
        ulong off = addr & (_granule - 1);
        ulong pfn = (addr - off) >> _shift;
        ulong pages = RoundUp(size + off) >> _shift;
        if (_mode == DmaUnmapMode.Strict)
        {
            Caches.FreeFast(cpu, pfn, pages);
            return;
        }

        var queue = _queues[_mode == DmaUnmapMode.LazySingleQueue ? 0 : cpu];
        Reap(queue, cpu);
        if (queue.Count == _slots - 1)
        {
            _start++;
            _finish++;
            Reap(queue, cpu);
        }

        queue.Add(new QueueEntry(pfn, pages, _start));
        if (!_timerArmed)
        {
            _timerArmed = true;
            _timerCpu = cpu;
        }
    }

    public bool Timeout()
    {
        if (!_timerArmed)
            return false;
        _timerArmed = false;
        _start++;
        _finish++;
        foreach (var queue in _queues)
            Reap(queue, _timerCpu);
        return true;
    }

    public void Dispose() => Caches.Dispose();

    private void Reap(List<QueueEntry> queue, int cpu)
    {
        while (queue.Count > 0 && queue[0].Counter < _finish)
        {
            Caches.FreeFast(cpu, queue[0].Pfn, queue[0].Pages);
            queue.RemoveAt(0);
        }
    }

    // Steps 1 to 4 of "Allocating a DMA range".
    private ulong? AllocDma(int cpu, int device, ulong bytes, ulong mask)
    {
        ulong len = bytes >> _shift;
        ulong dmaLimit = Math.Min(mask, _apertureEnd);
        var dev = _devices[device];
        if (dmaLimit > 0xffffffff && dev.Workaround)
        {
            if (Caches.AllocateFast(cpu, len, 0xffffffffUL >> _shift, flush: false, out ulong low))
                return low << _shift;
            dev.Workaround = false;
            Flips++;
        }

        return Caches.AllocateFast(cpu, len, dmaLimit >> _shift, flush: true, out ulong pfn) ? pfn << _shift : null;
    }

    private ulong RoundUp(ulong bytes) => (bytes + _granule - 1) / _granule * _granule;

    private sealed record DeviceModel(ulong DmaMask, ulong CoherentMask)
    {
        public bool Workaround { get; set; }
    }

    private readonly record struct QueueEntry(ulong Pfn, ulong Pages, long Counter);
}
