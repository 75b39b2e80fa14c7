namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>
/// Every iteration count and seed of the suite, in one place. The defaults keep <c>dotnet test</c> of this project
/// within about six minutes on two cores; <c>FASTIOVA_COYOTE_SCALE</c> multiplies every count for a deeper sweep and
/// <c>FASTIOVA_COYOTE_SEED</c> shifts every seed for a fresh one.
/// </summary>
public static class ExplorationBudget
{
    /// <summary>Iterations for the cheap scenarios (a few operations per worker).</summary>
    public const uint Short = 500;

    /// <summary>Iterations for the scenarios whose bugs need a narrow interleaving (depot ABA, flush handshakes).</summary>
    public const uint Deep = 1_000;

    /// <summary>Iterations for the planted-bug self tests of the harness.</summary>
    public const uint SelfTest = 500;

    /// <summary>Scheduling steps per iteration before Coyote cuts it short; the scenarios need far fewer.</summary>
    public const uint MaxSteps = 1_000;

    /// <summary>The multiplier from <c>FASTIOVA_COYOTE_SCALE</c> (default 1; 0.1 for a quick look, 10 for a soak).</summary>
    public static double Scale { get; } =
        double.TryParse(Environment.GetEnvironmentVariable("FASTIOVA_COYOTE_SCALE"), System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 1;

    /// <summary>Added to every seed, from <c>FASTIOVA_COYOTE_SEED</c> (default 0).</summary>
    public static uint SeedShift { get; } =
        uint.TryParse(Environment.GetEnvironmentVariable("FASTIOVA_COYOTE_SEED"), out uint shift) ? shift : 0;

    /// <summary>The scaled iteration count, at least one.</summary>
    /// <param name="iterations">The unscaled count.</param>
    public static uint Scaled(uint iterations) => (uint)Math.Max(1, Math.Round(iterations * Scale));

    /// <summary>
    /// The seed of one (scenario, strategy) pair. Coyote's seeds are not independent: seed s at iteration i behaves
    /// like seed s+i, so nearby seeds re-run the same schedules. A 32-bit FNV-1a hash of the names spreads the pairs
    /// over the whole seed space, far more than any iteration count apart.
    /// </summary>
    /// <param name="scenario">The scenario name.</param>
    /// <param name="strategy">The strategy.</param>
    public static uint SeedFor(string scenario, ExplorationStrategy strategy)
    {
        uint hash = 2166136261;
        foreach (char c in $"{scenario}/{strategy}")
        {
            hash = (hash ^ c) * 16777619;
        }

        return unchecked(hash + SeedShift * 0x9E3779B9u);
    }
}
