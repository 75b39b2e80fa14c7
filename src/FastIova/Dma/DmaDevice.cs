namespace FastIova.Dma;

/// <summary>
/// A device attached to a <see cref="DmaDomain"/> (<see cref="DmaDomain.AttachDevice"/>): its DMA masks and whether the
/// PCI 32-bit workaround still applies to it. Pass it to the map operations.
/// </summary>
public sealed class DmaDevice
{
    private ulong _dmaMask;
    private ulong _coherentMask;
    private int _workaround;

    // The hot map of workers and threads (DmaMapper.TryMap): the domain, once a map may take it for this device, and the pfn limit of
    // the first allocation the rules would try. Only limits that pass IovaDomain.IsHotLimit are ever written, so a
    // reader who saw the domain and then reads a limit written since (a flip, a new declaration) still has a safe one.
    private DmaDomain? _hotDomain;
    private ulong _hotLimitEnd;

    internal DmaDevice(DmaDomain domain, int id) => (Domain, Id) = (domain, id);

    /// <summary>The domain the device is attached to.</summary>
    public DmaDomain Domain { get; }

    /// <summary>The device's id in its domain.</summary>
    public int Id { get; }

    /// <summary>The streaming DMA mask (<c>dma_set_mask</c>): the highest byte address streaming maps may use.</summary>
    public ulong DmaMask => Volatile.Read(ref _dmaMask);

    /// <summary>The coherent DMA mask (<c>dma_set_coherent_mask</c>): the highest byte address coherent maps may use.</summary>
    public ulong CoherentMask => Volatile.Read(ref _coherentMask);

    /// <summary>
    /// Whether maps still try below 4 GiB first (Linux's <c>pci_32bit_workaround</c>). Cleared for good the first time
    /// such an attempt fails for a map whose mask reaches above 4 GiB; declaring the device again sets it anew.
    /// </summary>
    public bool Uses32BitWorkaround => Volatile.Read(ref _workaround) != 0;

    /// <inheritdoc />
    public override string ToString() => $"device {Id} (mask 0x{DmaMask:x}, coherent 0x{CoherentMask:x}{(Uses32BitWorkaround ? ", 32-bit workaround" : "")})";

    internal void Declare(ulong dmaMask, ulong coherentMask, bool workaround)
    {
        Volatile.Write(ref _dmaMask, dmaMask);
        Volatile.Write(ref _coherentMask, coherentMask);
        Volatile.Write(ref _workaround, workaround ? 1 : 0);
    }

    /// <summary>The domain, while a worker's map for this device may take the hot path; otherwise null.</summary>
    internal DmaDomain? HotDomain => Volatile.Read(ref _hotDomain);

    /// <summary>
    /// One past the highest pfn of the first allocation a map tries (below 4 GiB while the workaround holds). Read after
    /// <see cref="HotDomain"/>.
    /// </summary>
    internal ulong HotLimitEnd => _hotLimitEnd;

    /// <summary>
    /// Opens the hot map with <paramref name="limitPfn"/> (which passes <see cref="IovaDomain.IsHotLimit"/>), or closes
    /// it (<paramref name="domain"/> null). Under the domain's device lock.
    /// </summary>
    internal void SetHotPath(DmaDomain? domain, ulong limitPfn)
    {
        if (domain is not null)
            Volatile.Write(ref _hotLimitEnd, limitPfn + 1);
        Volatile.Write(ref _hotDomain, domain);
    }

    /// <summary>Clears the workaround flag; true for the one caller that cleared it (two maps may fail at once).</summary>
    internal bool ClearWorkaround() => Interlocked.Exchange(ref _workaround, 0) != 0;
}
