namespace FastIova.Tests.Concurrency.Model;

/// <summary>
/// Domains small enough that a handful of operations overflow a magazine into the depot, fill the space, and make a
/// flush matter: Coyote explores every interleaving of a few dozen operations, not of thousands.
/// </summary>
internal static class SmallDomain
{
    /// <summary>4 KiB pages.</summary>
    public const ulong Granule = 4096;

    /// <summary>The lowest pfn the domain may hand out.</summary>
    public const ulong StartPfn = 1;

    /// <summary>A limit well above what a scenario's workers hold at once.</summary>
    public const ulong RoomyLimit = 255;

    /// <summary>Creates a domain with tiny caches and no background trimmer (its timer would be uncontrolled).</summary>
    /// <param name="cpuCount">Simulated CPUs.</param>
    /// <param name="magazineSize">Pfns per magazine.</param>
    /// <param name="sizeClasses">Cached size classes: sizes up to 2^(sizeClasses-1).</param>
    /// <param name="isChecked">Checked mode (validates every fast free against the tree).</param>
    /// <param name="spareMagazines">
    /// Whether thread and owned caches keep their third, spare magazine. Off by default: the scenarios count their
    /// frees so that the depot fills with the kernel's two magazines per cache; those that explore the spare say so.
    /// </param>
    public static IovaDomain Create(int cpuCount = 2, int magazineSize = 2, int sizeClasses = 3, bool isChecked = false, bool spareMagazines = false) =>
        new(Granule, StartPfn, new IovaDomainOptions
        {
            CpuCount = cpuCount,
            MagazineSize = magazineSize,
            SizeClasses = sizeClasses,
            Checked = isChecked,
            SpareMagazines = spareMagazines,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
}
