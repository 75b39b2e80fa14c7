using System.Numerics;

namespace FastIova.Tests.Correctness.Differential;

/// <summary>Where a differential run's requests concentrate.</summary>
internal enum WindowPlacement
{
    /// <summary>Just above start_pfn: tiny windows at the bottom of the space, all 32-bit.</summary>
    AtStart,

    /// <summary>Straddling the 32-bit boundary (Dma32Pfn), when start_pfn lies below it.</summary>
    AcrossDma32,

    /// <summary>Anywhere above start_pfn.</summary>
    Anywhere,
}

/// <summary>
/// The domain and the small window of pfns a run works in, all derived from the seed, so that the seed alone
/// re-creates the run. Everything below the window is reserved at the start, so the window is a small space that
/// fills up often: exhaustion, the retry pass and the 32-bit hint come into play every few hundred operations.
/// </summary>
internal sealed record DifferentialScenario(int Seed, ulong Granule, ulong StartPfn, WindowPlacement Placement, ulong WindowBase, ulong WindowSize)
{
    // 65536 lies above the kernel's page size but is documented as allowed by the domain.
    private static readonly ulong[] s_granules = [512, 1024, 2048, 4096, 65536];
    private static readonly ulong[] s_windowSizes = [16, 64, 256, 1024, 4096];

    public ulong Dma32Pfn => 1UL << (32 - BitOperations.Log2(Granule));

    public ulong MaxPfn => ulong.MaxValue >> BitOperations.Log2(Granule);

    public ulong WindowTop => WindowBase + WindowSize - 1;

    /// <summary>
    /// Seed s takes granule <c>s % 5</c>, start kind <c>(s / 5) % 7</c> and placement <c>(s / 35) % 3</c>, so any 105
    /// consecutive seeds cover every combination; the rest (window size, exact start) comes from the seed's generator.
    /// </summary>
    public static DifferentialScenario FromSeed(int seed)
    {
        var random = new Random(seed);
        ulong granule = s_granules[seed % s_granules.Length];
        ulong dma32 = 1UL << (32 - BitOperations.Log2(granule));
        ulong windowSize = s_windowSizes[random.Next(s_windowSizes.Length)];
        ulong startPfn = ((seed / 5) % 7) switch
        {
            0 => 0,
            1 => 1,
            2 => 2 * (ulong)random.Next(1, 5000) + 1, // small odd
            3 => 1UL << 40,
            4 => (1UL << 40) + 2 * (ulong)random.Next(0, 1000) + 1, // large odd
            5 => dma32 - (ulong)random.Next(1, 3 * (int)windowSize), // just below the boundary
            _ => dma32 + (ulong)random.Next(0, 100), // at or just above the boundary
        };

        var placement = (WindowPlacement)((seed / 35) % 3);
        ulong windowBase = placement switch
        {
            WindowPlacement.AtStart => startPfn,
            WindowPlacement.AcrossDma32 when startPfn + (windowSize / 2) <= dma32 => dma32 - (windowSize / 2),
            WindowPlacement.AcrossDma32 => startPfn,
            _ => startPfn + (ulong)random.NextInt64(0, 1L << 24),
        };

        return new DifferentialScenario(seed, granule, startPfn, placement, windowBase, windowSize);
    }

    public override string ToString() =>
        $"granule {Granule}, start_pfn {StartPfn}, dma32 {Dma32Pfn}, window [{WindowBase}, {WindowTop}] ({Placement})";
}
