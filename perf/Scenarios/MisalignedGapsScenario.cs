namespace FastIova.Perf.Scenarios;

/// <summary>
/// The worst case of the augmented search with alignment: above the only place an aligned block fits, N gaps of
/// exactly the block's size that all start misaligned. Every gap passes the subtree test (largest gap >= size), so the
/// search visits each of them, as the kernel's walk does; only the unaligned search stays O(log n).
/// </summary>
/// <remarks>
/// Layout (4 KiB granule, all below 4 GiB): free <c>[0, Base + 4]</c> (the aligned 4-block at <c>Base</c> is the
/// answer), then for j in 0..N-1 a gap <c>[Base + 8j + 1, Base + 8j + 4]</c> (start = 1 mod 4) and a reserved range
/// <c>[Base + 8j + 5, Base + 8j + 8]</c>, and one reserved range from there up to the limit, <c>Dma32Pfn</c>. The
/// request is 4 pfns, size-aligned. The limit is not 32-bit, so the search starts from <c>cached_node</c>, which stays
/// the anchor: the block it returns ends below 4 GiB and only moves <c>cached32_node</c>.
/// </remarks>
internal sealed class MisalignedGapsScenario : IRestorableStep, IDisposable
{
    public const ulong Size = 4;
    private const ulong Base = 64;

    private readonly IovaDomain _domain;
    private readonly ulong _limit;

    private MisalignedGapsScenario(IovaDomain domain, ulong limit)
    {
        _domain = domain;
        _limit = limit;
    }

    /// <summary>Builds the layout with <paramref name="gaps"/> misaligned gaps (at most 100,000: all of it stays below 4 GiB).</summary>
    public static MisalignedGapsScenario Build(int gaps, IovaDomainOptions options)
    {
        var domain = new IovaDomain(4096, 0, options);
        ulong top = Base + (8 * (ulong)gaps);
        for (ulong j = 0; j < (ulong)gaps; j++)
            domain.Reserve(Base + (8 * j) + 5, Base + (8 * j) + 8);
        domain.Reserve(top + 1, domain.Dma32Pfn);
        var scenario = new MisalignedGapsScenario(domain, domain.Dma32Pfn);
        ulong pfn = scenario.Allocate();
        if (pfn != Base)
            throw new InvalidOperationException($"The aligned allocation landed at {pfn}, not {Base}: the layout is wrong.");
        scenario.Restore();
        return scenario;
    }

    /// <summary>The measured call: the highest aligned 4-block, found below every misaligned gap.</summary>
    public ulong Allocate() =>
        _domain.TryAllocate(Size, _limit, sizeAligned: true, out IovaRange range) ? range.PfnLo : throw new InvalidOperationException("The aligned allocation failed.");

    /// <inheritdoc />
    void IRestorableStep.Run() => Allocate();

    /// <summary>Frees the block; <c>cached_node</c> is still the anchor, so the next search is the same.</summary>
    public void Restore() => _domain.Free(Base);

    public void Dispose() => _domain.Dispose();
}
