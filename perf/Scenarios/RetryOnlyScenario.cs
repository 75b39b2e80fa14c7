namespace FastIova.Perf.Scenarios;

/// <summary>
/// A domain in which the next allocation can only be satisfied by the retry pass (TRACE-FORMAT.md, "alloc" step 4),
/// with a chosen number of live ranges above the only hole. Layout, low to high inside the search window:
/// <code>
///   [bottom: 2 pfns] [filler] [hole: 1 pfn] [N ranges of 1 pfn] (limit)
/// </code>
/// Built the way the LKML seed scenario is (a-seed-scenario.trace): fill the window, free the hole, then allocate
/// 2 pfns, which do not fit the hole and land at the bottom, so the cached node sits at the window's first pfn.
/// A 1-pfn request then finds nothing in the first pass (the window below the cached node is empty) and the retry
/// pass has to come down from the limit past all N ranges to the hole: N steps for the kernel's walk.
/// </summary>
internal sealed class RetryOnlyScenario : IRestorableStep, IDisposable
{
    // Pfns of filler in the 64-bit layout: any size works, it only has to sit between bottom and hole.
    private const ulong Filler64 = 16;

    private RetryOnlyScenario(IovaDomain domain, ulong limitPfn, ulong holePfn, ulong bottomPfn)
    {
        Domain = domain;
        LimitPfn = limitPfn;
        HolePfn = holePfn;
        BottomPfn = bottomPfn;
    }

    /// <summary>The domain.</summary>
    public IovaDomain Domain { get; }

    /// <summary>The limit of the measured allocation.</summary>
    public ulong LimitPfn { get; }

    /// <summary>The only free pfn under the limit.</summary>
    public ulong HolePfn { get; }

    /// <summary>The 2-pfn range at the bottom of the window that holds the cached node down.</summary>
    public ulong BottomPfn { get; }

    /// <summary>
    /// Builds the scenario with <paramref name="rangesAboveHole"/> ranges between the hole and the limit.
    /// <see cref="RetryLimit.Bits64"/>: the window is [Dma32Pfn, limit], so every range updates <c>cached_node</c>.
    /// <see cref="RetryLimit.Bits32"/>: the window is [1, Dma32Pfn - 1] and the domain also holds
    /// <paramref name="rangesAboveHole"/> ranges above 4 GiB; the granule shrinks when N does not fit below 4 GiB.
    /// </summary>
    public static RetryOnlyScenario Build(int rangesAboveHole, RetryLimit limit, IovaDomainOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rangesAboveHole);
        ulong n = (ulong)rangesAboveHole;
        return limit == RetryLimit.Bits64 ? Build64(n, options) : Build32(n, options);
    }

    private static RetryOnlyScenario Build64(ulong n, IovaDomainOptions options)
    {
        // Start the domain at the 32-bit boundary so that no range lands below it (such a range would update
        // cached32_node instead of cached_node, and the cached node of a 64-bit search would stay high).
        const ulong granule = FragmentedDomain.Granule;
        ulong dma32 = 1UL << (32 - System.Numerics.BitOperations.Log2(granule));
        ulong start = dma32;
        ulong limitPfn = start + 2 + Filler64 + 1 + n - 1;
        var domain = new IovaDomain(granule, start, options);
        return Fill(domain, start, limitPfn, n, filler: Filler64);
    }

    private static RetryOnlyScenario Build32(ulong n, IovaDomainOptions options)
    {
        ulong granule = FragmentedDomain.Granule;
        while (granule > 1 && (1UL << (32 - System.Numerics.BitOperations.Log2(granule))) < n + 64)
        {
            granule >>= 1;
        }

        const ulong start = 1;
        var domain = new IovaDomain(granule, start, options);
        ulong dma32 = domain.Dma32Pfn;

        // The 64-bit ranges first, contiguous just above 4 GiB... 4*Dma32Pfn: they never meet a 32-bit search.
        ulong limit64 = (4 * dma32) - 1;
        for (ulong i = 0; i < n; i++)
        {
            Expect(domain, 1, limit64, limit64 - i);
        }

        ulong limitPfn = dma32 - 1;
        ulong filler = limitPfn - n - start - 2; // [start + 2, limit - n - 1]
        return Fill(domain, start, limitPfn, n, filler);
    }

    // Lays out [bottom 2][filler][hole 1][n x 1] in [start, limitPfn] and checks every placement on the way.
    private static RetryOnlyScenario Fill(IovaDomain domain, ulong start, ulong limitPfn, ulong n, ulong filler)
    {
        for (ulong i = 0; i < n; i++)
        {
            Expect(domain, 1, limitPfn, limitPfn - i);
        }

        ulong hole = limitPfn - n;
        Expect(domain, 1, limitPfn, hole);
        Expect(domain, filler, limitPfn, start + 2);
        domain.Free(hole);

        // 2 pfns do not fit the 1-pfn hole: the first pass goes on down and lands at the bottom, which becomes
        // the cached node of this limit's class.
        Expect(domain, 2, limitPfn, start);

        var scenario = new RetryOnlyScenario(domain, limitPfn, hole, start);
        scenario.Verify();
        return scenario;
    }

    /// <summary>The measured operation: the 1-pfn allocation that only the retry pass can place (at the hole).</summary>
    public ulong AllocateInHole()
    {
        if (!Domain.TryAllocate(1, LimitPfn, sizeAligned: false, out IovaRange range))
        {
            throw new InvalidOperationException("The retry-only allocation failed.");
        }

        return range.PfnLo;
    }

    /// <inheritdoc />
    void IRestorableStep.Run() => AllocateInHole();

    /// <summary>
    /// Puts the state back as it was before <see cref="AllocateInHole"/>: freeing the hole moves the cached node
    /// above it, so the bottom range is freed and allocated again to pull the cached node back down.
    /// </summary>
    public void Restore()
    {
        Domain.Free(HolePfn);
        Domain.Free(BottomPfn);
        if (!Domain.TryAllocate(2, LimitPfn, sizeAligned: false, out IovaRange bottom) || bottom.PfnLo != BottomPfn)
        {
            throw new InvalidOperationException($"Restoring the retry scenario put the bottom range at {bottom}, not at {BottomPfn}.");
        }
    }

    /// <summary>One allocation in the hole and the restore, checking that the allocation landed in the hole.</summary>
    public void Verify()
    {
        int count = Domain.Count;
        ulong pfn = AllocateInHole();
        if (pfn != HolePfn)
        {
            throw new InvalidOperationException($"The retry-only allocation landed at {pfn}, not in the hole at {HolePfn}.");
        }

        Restore();
        if (Domain.Count != count)
        {
            throw new InvalidOperationException($"The retry scenario holds {Domain.Count} ranges after a cycle, not {count}.");
        }
    }

    /// <summary>
    /// The tree's height and the depth at which the measured allocation links its range, which is how far its search
    /// and its insert's upward walks go (one cycle of allocation and restore).
    /// </summary>
    public (int TreeHeight, int RangeDepth) ShapeOfAllocation()
    {
        AllocateInHole();
        var shape = Domain.TreeShapeAt(HolePfn);
        Restore();
        return shape;
    }

    /// <inheritdoc />
    public void Dispose() => Domain.Dispose();

    private static void Expect(IovaDomain domain, ulong size, ulong limitPfn, ulong expectedPfn)
    {
        if (!domain.TryAllocate(size, limitPfn, sizeAligned: false, out IovaRange range) || range.PfnLo != expectedPfn)
        {
            throw new InvalidOperationException(
                $"Building the retry scenario: alloc {size} under {limitPfn} gave {range}, expected it at {expectedPfn}.");
        }
    }
}
