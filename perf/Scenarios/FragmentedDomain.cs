namespace FastIova.Perf.Scenarios;

/// <summary>
/// A domain with a given number of live ranges scattered by random frees: 2N ranges of 1..16 pfns are allocated
/// under a 64-bit limit, then a random half is freed. Deterministic for a given seed.
/// </summary>
internal static class FragmentedDomain
{
    /// <summary>Granule of every scenario domain (the x86-64 page).</summary>
    public const ulong Granule = 4096;

    /// <summary>Lowest pfn; 1 so that no fast-path result is pfn 0 (the kernel's failure value).</summary>
    public const ulong StartPfn = 1;

    /// <summary>
    /// The limit the tree-path benchmarks allocate under: 256 GiB, far above the 32-bit boundary and roomy enough
    /// for 2M ranges of up to 16 pfns.
    /// </summary>
    public static ulong LimitPfn(IovaDomain domain) => (domain.Dma32Pfn * 64) - 1;

    /// <summary>Builds the fragmented domain with <paramref name="liveRanges"/> live ranges.</summary>
    public static IovaDomain Build(int liveRanges, IovaDomainOptions options, int seed = 20240601)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(liveRanges);
        var domain = new IovaDomain(Granule, StartPfn, options);
        ulong limit = LimitPfn(domain);
        var random = new Random(seed);
        var starts = new ulong[2 * liveRanges];
        for (int i = 0; i < starts.Length; i++)
        {
            ulong size = (ulong)random.Next(1, 17);
            if (!domain.TryAllocate(size, limit, sizeAligned: false, out IovaRange range))
            {
                throw new InvalidOperationException($"Building the fragmented domain failed at range {i}.");
            }

            starts[i] = range.PfnLo;
        }

        random.Shuffle(starts);
        for (int i = 0; i < liveRanges; i++)
        {
            domain.Free(starts[i]);
        }

        return domain;
    }
}
