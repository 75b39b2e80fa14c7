using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using FastIova.Caches;
using FastIova.Locking;
using FastIova.Trace;
using FastIova.Tree;

namespace FastIova;

/// <summary>
/// An IOVA domain: the Linux kernel's <c>struct iova_domain</c> (<c>drivers/iommu/iova.c</c>) as a .NET object. It
/// hands out ranges of page frame numbers (pfns, in units of the granule) top-down below a caller's limit, exactly
/// where the kernel would, but finds them in O(log n). In front of the tree sit range caches for sizes up to
/// <c>2^(SizeClasses-1)</c> pfns: one per thread (<see cref="TryAllocateFast"/>) and one per simulated CPU
/// (<see cref="Cpu"/>), backed by a shared lock-free depot.
/// </summary>
/// <remarks>
/// Every member is safe to call from any thread. Tree operations serialize on one spin lock; cache hits take no lock.
/// Granules above 4096 bytes (for example 64 KiB pages) are allowed: the 32-bit boundary pfn is always
/// <c>2^(32 - log2 granule)</c>, and the kernel's rules do not depend on the page size otherwise.
/// Bad arguments throw an <see cref="ArgumentException"/> naming the argument and leave the domain untouched.
/// </remarks>
public sealed partial class IovaDomain : IDisposable
{
    private readonly IovaAllocator _allocator;
    private readonly IovaDomainOptions _options;
    private readonly TraceRecorder? _recorder;
    private TreeLock _treeLock;
    private volatile bool _disposed;

    /// <summary>Creates a domain, as the kernel's <c>init_iova_domain</c> (and <c>iova_domain_init_rcaches</c>).</summary>
    /// <param name="granule">Bytes per pfn: a power of two from 1 to 2^32.</param>
    /// <param name="startPfn">The lowest pfn that allocations may hand out.</param>
    /// <param name="options">Cache and checking settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="granule"/> is not a power of two in range, or
    /// <paramref name="startPfn"/> lies beyond the address width, or an option is out of range.</exception>
    public IovaDomain(ulong granule, ulong startPfn, IovaDomainOptions? options = null)
    {
        if (granule == 0 || !BitOperations.IsPow2(granule) || granule > 1UL << 32)
            throw new ArgumentException($"Granule must be a power of two between 1 and 2^32 bytes, not {granule}.", nameof(granule));
        int shift = BitOperations.Log2(granule);
        MaxPfn = IovaTree.AnchorPfn - 1;
        MaxReservePfn = Math.Min(ulong.MaxValue >> shift, MaxPfn);
        if (startPfn > MaxPfn)
            throw new ArgumentOutOfRangeException(nameof(startPfn), startPfn, $"Start pfn must be at most {MaxPfn}.");

        _options = options ?? new IovaDomainOptions();
        _options.Validate();
        Granule = granule;
        StartPfn = startPfn;
        Dma32Pfn = 1UL << (32 - shift);
        _allocator = new IovaAllocator(startPfn, Dma32Pfn, _options.Search);

        // The recorder may refuse the options: before the caches start their timer and take a slot.
        _recorder = _options.Recorder;
        _recorder?.Domain(granule, startPfn, _options);
        _caches = new RangeCaches(this, _options);
        _cpus = new SimulatedCpu[_options.CpuCount];
        for (int i = 0; i < _cpus.Length; i++)
            _cpus[i] = new SimulatedCpu(this, _caches.Cpu(i), i);
        _hotSizeBound = _recorder is null && !_options.Checked ? 1UL << (_options.SizeClasses - 1) : 0;
        _hotLimitSpan = MaxPfn - StartPfn;
        MetricsId = IovaMetrics.Register(this);
    }

    /// <summary>Bytes per pfn.</summary>
    public ulong Granule { get; }

    /// <summary>The lowest pfn that allocations may hand out.</summary>
    public ulong StartPfn { get; }

    /// <summary>The first pfn at or above 4 GiB, <c>2^(32 - log2 granule)</c>; limits below it are "32-bit".</summary>
    public ulong Dma32Pfn { get; }

    /// <summary>
    /// The highest pfn any argument may name: <c>2^64 - 2</c>, just below the anchor. Like the kernel, the domain does not
    /// tie limits to the granule's byte-address width; only <see cref="Reserve"/> does (see <see cref="MaxReservePfn"/>).
    /// </summary>
    public ulong MaxPfn { get; }

    /// <summary>
    /// The highest pfn <see cref="Reserve"/> accepts: <c>(2^64 - 1) &gt;&gt; log2(granule)</c>, the last pfn whose byte
    /// address fits in 64 bits (the kernel's <c>reserve_iova</c> refuses "nonsensical" pfns beyond it).
    /// </summary>
    public ulong MaxReservePfn { get; }

    /// <summary>Ranges in the tree, anchor excluded. Ranges parked in caches stay allocated and count.</summary>
    public int Count
    {
        get
        {
            ThrowIfDisposed();
            if (_recorder is null)
                return _allocator.Tree.Count;
            lock (_recorder.Gate)
            {
                int count = _allocator.Tree.Count;
                _recorder.Write(TraceOpCode.Count, TraceResult.Count(count));
                return count;
            }
        }
    }

    /// <summary>
    /// <c>alloc_iova</c>: allocates <paramref name="size"/> pfns at or above <see cref="StartPfn"/> and at or below
    /// <paramref name="limitPfn"/>, at the address the kernel would choose.
    /// </summary>
    /// <param name="size">Pfns to allocate, at least 1.</param>
    /// <param name="limitPfn">The highest pfn the range may use (inclusive), at least <see cref="StartPfn"/>.</param>
    /// <param name="sizeAligned">Align the start to the smallest power of two at or above <paramref name="size"/>.</param>
    /// <param name="range">The allocated range, or <c>default</c> on failure.</param>
    /// <returns>Whether a range was allocated.</returns>
    public bool TryAllocate(ulong size, ulong limitPfn, bool sizeAligned, out IovaRange range) =>
        TryAllocate(size, limitPfn, sizeAligned, limitMayBeBelowStart: false, out range);

    /// <summary>
    /// <see cref="TryAllocate(ulong, ulong, bool, out IovaRange)"/>, where a limit below the start pfn may be a search
    /// that fails (with the kernel's 32-bit hint), as the DMA layer's device masks need (see <see cref="AllocateFast"/>).
    /// </summary>
    internal bool TryAllocate(ulong size, ulong limitPfn, bool sizeAligned, bool limitMayBeBelowStart, out IovaRange range)
    {
        ValidateAllocation(size, limitPfn, limitMayBeBelowStart);
        return _recorder is null
            ? TryAllocateCore(size, limitPfn, sizeAligned, out range)
            : TryAllocateRecorded(_recorder, size, limitPfn, sizeAligned, out range);
    }

    // Out of line, as is FreeRecorded: inlined, the gate and the trace line would give the unrecorded call a larger
    // frame to set up and clear each time.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryAllocateRecorded(TraceRecorder recorder, ulong size, ulong limitPfn, bool sizeAligned, out IovaRange range)
    {
        lock (recorder.Gate)
        {
            bool ok = TryAllocateCore(size, limitPfn, sizeAligned, out range);
            recorder.Write(TraceOpCode.Alloc, ok ? TraceResult.Pfn(range.PfnLo) : TraceResult.Fail, size, limitPfn, sizeAligned ? 1UL : 0UL);
            return ok;
        }
    }

    private bool TryAllocateCore(ulong size, ulong limitPfn, bool sizeAligned, out IovaRange range)
    {
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            bool ok = _allocator.TryAllocate(size, limitPfn, sizeAligned, out int node) == AllocationFailure.None;
            range = ok ? _allocator.Tree.Range(node) : default;
            return ok;
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>As <see cref="TryAllocate(ulong, ulong, bool, out IovaRange)"/>, throwing when nothing fits.</summary>
    /// <param name="size">Pfns to allocate, at least 1.</param>
    /// <param name="limitPfn">The highest pfn the range may use (inclusive).</param>
    /// <param name="sizeAligned">Align the start to the smallest power of two at or above <paramref name="size"/>.</param>
    /// <returns>The allocated range.</returns>
    /// <exception cref="IovaExhaustedException">No block fits.</exception>
    public IovaRange Allocate(ulong size, ulong limitPfn, bool sizeAligned = false) =>
        TryAllocate(size, limitPfn, sizeAligned, out var range) ? range : throw new IovaExhaustedException(size, limitPfn);

    /// <summary><c>free_iova</c>: frees the range containing <paramref name="pfn"/> (any pfn inside it).</summary>
    /// <param name="pfn">A pfn of the range to free.</param>
    /// <returns><see langword="false"/> if no range contains <paramref name="pfn"/> (nothing changes).</returns>
    /// <exception cref="InvalidOperationException">Checked mode, and the range sits in a cache.</exception>
    public bool Free(ulong pfn)
    {
        ValidatePfn(pfn, nameof(pfn));
        return _recorder is null ? FreeCore(pfn) : FreeRecorded(_recorder, pfn);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FreeRecorded(TraceRecorder recorder, ulong pfn)
    {
        lock (recorder.Gate)
        {
            bool freed = FreeCore(pfn);
            recorder.Write(TraceOpCode.Free, freed ? TraceResult.Ok : TraceResult.None, pfn);
            return freed;
        }
    }

    private bool FreeCore(ulong pfn)
    {
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            if (_options.Checked)
                _caches.Checker!.VerifyTreeFree(_allocator.Tree, pfn);
            return _allocator.Free(pfn);
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary><c>find_iova</c>: the range containing <paramref name="pfn"/>, cached ranges included.</summary>
    /// <param name="pfn">Any pfn.</param>
    /// <returns>The range, or <see langword="null"/>.</returns>
    public IovaRange? Find(ulong pfn)
    {
        ValidatePfn(pfn, nameof(pfn));
        if (_recorder is null)
            return FindCore(pfn);
        lock (_recorder.Gate)
        {
            var found = FindCore(pfn);
            _recorder.Write(TraceOpCode.Find, found is { } range ? TraceResult.Range(range) : TraceResult.None, pfn);
            return found;
        }
    }

    private IovaRange? FindCore(ulong pfn)
    {
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            int node = _allocator.Tree.FindContaining(pfn);
            return node == IovaTree.Nil ? null : _allocator.Tree.Range(node);
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>
    /// <c>reserve_iova</c>: marks <c>[pfnLo, pfnHi]</c> as used, merging with overlapping ranges the kernel's way
    /// (overlapped ranges are extended downwards in place; the uncovered remainder becomes a new range).
    /// </summary>
    /// <param name="pfnLo">First pfn to reserve.</param>
    /// <param name="pfnHi">Last pfn to reserve (inclusive), at least <paramref name="pfnLo"/>.</param>
    /// <returns>The range the kernel returns: the one containing the request's remainder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A pfn beyond <see cref="MaxReservePfn"/>, or
    /// <paramref name="pfnHi"/> below <paramref name="pfnLo"/>.</exception>
    public IovaRange Reserve(ulong pfnLo, ulong pfnHi)
    {
        if (pfnLo > MaxReservePfn)
            throw new ArgumentOutOfRangeException(nameof(pfnLo), pfnLo, $"Pfn must be at most {MaxReservePfn} (64-bit byte addresses).");
        if (pfnHi > MaxReservePfn)
            throw new ArgumentOutOfRangeException(nameof(pfnHi), pfnHi, $"Pfn must be at most {MaxReservePfn} (64-bit byte addresses).");
        TryReserve(pfnLo, pfnHi, out var range);
        return range;
    }

    /// <summary>
    /// As <see cref="Reserve"/>, but returns <see langword="false"/> (changing nothing) where the kernel's
    /// <c>reserve_iova</c> returns NULL: a pfn beyond <see cref="MaxReservePfn"/>.
    /// </summary>
    /// <param name="pfnLo">First pfn to reserve.</param>
    /// <param name="pfnHi">Last pfn to reserve (inclusive), at least <paramref name="pfnLo"/>.</param>
    /// <param name="range">The range the kernel returns, or <c>default</c>.</param>
    /// <returns>Whether the range was reserved.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pfnHi"/> is below <paramref name="pfnLo"/>.</exception>
    public bool TryReserve(ulong pfnLo, ulong pfnHi, out IovaRange range)
    {
        if (pfnLo > pfnHi)
            throw new ArgumentOutOfRangeException(nameof(pfnHi), pfnHi, $"Must be at least pfnLo ({pfnLo}).");
        if (_recorder is null)
            return TryReserveCore(pfnLo, pfnHi, out range);
        lock (_recorder.Gate)
        {
            bool ok = TryReserveCore(pfnLo, pfnHi, out range);
            _recorder.Write(TraceOpCode.Reserve, ok ? TraceResult.Range(range) : TraceResult.Fail, pfnLo, pfnHi);
            return ok;
        }
    }

    private bool TryReserveCore(ulong pfnLo, ulong pfnHi, out IovaRange range)
    {
        range = default;
        if (pfnHi > MaxReservePfn)
            return false;
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            range = _allocator.Tree.Range(_allocator.Reserve(pfnLo, pfnHi));
            return true;
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>An address-ordered snapshot of the ranges in the tree (cached ranges included, anchor excluded).</summary>
    /// <returns>A new array.</returns>
    public IovaRange[] GetRanges()
    {
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            return _allocator.Tree.ToArray();
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>Validates every tree invariant; throws <see cref="InvalidOperationException"/> naming the broken one.</summary>
    internal void CheckInvariants()
    {
        _treeLock.Enter();
        try
        {
            _allocator.CheckInvariants();
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>
    /// <see cref="IovaStatistics.TreeLockContentions"/>, read without taking the lock: the perf suite counts hand-overs
    /// while its threads run, and a read under the lock would be one of them.
    /// </summary>
    internal long TreeLockContentions => _treeLock.Contentions;

    /// <summary>
    /// The tree's height and the depth of the range holding <paramref name="pfn"/> (0 when none does): the perf suite
    /// reports them beside search times, whose cost is one node per level.
    /// </summary>
    internal (int Height, int Depth) TreeShapeAt(ulong pfn)
    {
        _treeLock.Enter();
        try
        {
            IovaTree tree = _allocator.Tree;
            return (tree.Height(), tree.Depth(tree.FindContaining(pfn)));
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>The value of the <c>domain</c> tag on this domain's measurements.</summary>
    internal int MetricsId { get; }

    /// <summary>Ranges in the tree without the disposed check, so tests can see what Dispose left behind.</summary>
    internal int TreeCountIgnoringDisposal
    {
        get
        {
            _treeLock.Enter();
            int count = _allocator.Tree.Count;
            _treeLock.Exit();
            return count;
        }
    }


    /// <summary>
    /// Flushes every cache back to the tree and makes the domain unusable: later calls throw
    /// <see cref="ObjectDisposedException"/>. Calls racing Dispose either complete or throw that exception.
    /// </summary>
    public void Dispose()
    {
        _treeLock.Enter();
        bool wasDisposed = _disposed;
        _disposed = true;
        _treeLock.Exit();
        if (wasDisposed)
            return;

        // Calls that passed their disposed check before the flag was set may still finish; whatever they cache after
        // Seal stays with the dead domain. Calls after it throw.
        _caches.Seal();
        IovaMetrics.Unregister(this);
    }

    // ---- Tree access for the cache layer (all under the tree lock) ------------------------------------------------

    /// <summary>The fast path's tree allocation: always size-aligned, as <c>alloc_iova_fast</c> asks.</summary>
    private bool TryAllocateForCache(ulong size, ulong limitPfn, out ulong pfn)
    {
        _treeLock.Enter();
        try
        {
            ThrowIfDisposed();
            bool ok = _allocator.TryAllocate(size, limitPfn, sizeAligned: true, out int node) == AllocationFailure.None;
            pfn = ok ? _allocator.Tree.Lo(node) : 0;
            return ok;
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    /// <summary>Frees cached pfns in order, under one acquisition of the tree lock (the kernel's magazine free).</summary>
    internal void FreeCachedToTree(ReadOnlySpan<ulong> pfns)
    {
        if (pfns.IsEmpty)
            return;
        _treeLock.Enter();
        try
        {
            foreach (ulong pfn in pfns)
            {
                _caches.Checker?.LeaveCache(pfn);
                // The kernel WARNs and skips a pfn it cannot find; so do we (it can only come from a caller's double free).
                _allocator.Free(pfn);
            }
        }
        finally
        {
            _treeLock.Exit();
        }
    }

    // The checks inline into every call; the messages are built out of line, so that the hot paths do not carry their
    // string formatting's frame.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ValidateAllocation(ulong size, ulong limitPfn, bool limitMayBeBelowStart = false)
    {
        if (size == 0 || size > MaxPfn || limitPfn > MaxPfn || (limitPfn < StartPfn && !limitMayBeBelowStart))
            ThrowBadAllocation(size, limitPfn);
    }

    [DoesNotReturn]
    private void ThrowBadAllocation(ulong size, ulong limitPfn)
    {
        if (size == 0 || size > MaxPfn)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"Size must be between 1 and {MaxPfn} pfns.");
        if (limitPfn > MaxPfn)
            throw new ArgumentOutOfRangeException(nameof(limitPfn), limitPfn, $"Limit must be at most {MaxPfn}.");
        throw new ArgumentOutOfRangeException(nameof(limitPfn), limitPfn, $"Limit must be at least the start pfn {StartPfn}.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ValidatePfn(ulong pfn, string name)
    {
        if (pfn > MaxPfn)
            ThrowPfnTooHigh(pfn, name);
    }

    [DoesNotReturn]
    private void ThrowPfnTooHigh(ulong pfn, string name) =>
        throw new ArgumentOutOfRangeException(name, pfn, $"Pfn must be at most {MaxPfn}.");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
