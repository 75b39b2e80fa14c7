using System.CommandLine;
using System.Globalization;

namespace FastIova.Cli;

/// <summary>
/// <c>fastiova demo</c>: the allocation sequence that made the kernel add its retry pass in 2020, step by step, then
/// the DMA layer (the same device traffic in strict and lazy mode, a PCI device's 32-bit workaround flipping), then short
/// many-thread runs through the fast path: the threads' own caches, then an owned cache per thread.
/// </summary>
internal sealed class DemoCommand : Command
{
    // 1 GiB of IOVA space in 4 KiB pfns; a megabyte is 256 of them.
    private const ulong Granule = 4096;
    private const ulong PfnsPerMegabyte = (1UL << 20) / Granule;
    private const ulong LimitPfn = (1UL << 30) / Granule - 1;

    private readonly Option<double> _seconds = new("--seconds")
    {
        Description = "How long each many-thread fast-path run lasts, in seconds.",
        DefaultValueFactory = _ => 1.0,
    };

    /// <summary>Builds the command.</summary>
    public DemoCommand()
        : base("demo", "Show the 2020 seed scenario that the kernel's retry pass fixed, the DMA layer's strict and lazy unmap and its 32-bit workaround, " +
            "then measure the fast path on all cores. " + ExitCodes.DemoDescription)
    {
        Add(_seconds);
        _seconds.Validators.Add(result =>
        {
            double seconds = result.GetValueOrDefault<double>();
            if (!(seconds > 0 && seconds <= 3600))
            {
                result.AddError("--seconds must be in (0, 3600].");
            }
        });
        SetAction(parse => Run(parse.GetValue(_seconds), parse.InvocationConfiguration.Output));
    }

    /// <summary>Runs both parts of the demo.</summary>
    /// <returns>An <see cref="ExitCodes"/> value.</returns>
    internal static int Run(double seconds, TextWriter output)
    {
        RunSeedScenario(output);
        output.WriteLine();
        DmaDemo.Run(output);
        output.WriteLine();
        FastPathLoad.Run(TimeSpan.FromSeconds(seconds), Environment.ProcessorCount, ownedCaches: false, output);
        output.WriteLine();
        FastPathLoad.Run(TimeSpan.FromSeconds(seconds), Environment.ProcessorCount, ownedCaches: true, output);
        return ExitCodes.Success;
    }

    private static void RunSeedScenario(TextWriter output)
    {
        using var domain = new IovaDomain(Granule, 0);
        output.WriteLine($"Seed scenario: 1 GiB of IOVA space (pfns 0..{LimitPfn}), 4 KiB granule, start pfn 0.");
        Allocate(domain, 500, "", output);
        var twelve = Allocate(domain, 12, "", output);
        var below = Allocate(domain, 499, "", output);
        domain.Free(twelve.PfnLo);
        output.WriteLine($"  free   12 MB at pfn {twelve.PfnLo}: free now {Describe(FreeGaps(domain))}");
        var thirteen = Allocate(domain, 13, $"takes the space below pfn {below.PfnLo} and becomes the cached node: the next search starts below it", output);
        output.WriteLine($"  free before the next request: {Describe(FreeGaps(domain))}");
        var two = Allocate(
            domain,
            2,
            $"first pass (below pfn {thirteen.PfnLo}) found nothing; the retry pass searched [{thirteen.PfnHi + 1}, {LimitPfn}] downwards and took the top of the 12 MB hole",
            output);
        output.WriteLine($"  Linux before the 2020 retry fix failed this 2 MB request with 12 MB free; FastIova, like Linux since, gives pfn {two.PfnLo}.");
    }

    private static IovaRange Allocate(IovaDomain domain, ulong megabytes, string note, TextWriter output)
    {
        ulong size = megabytes * PfnsPerMegabyte;
        if (!domain.TryAllocate(size, LimitPfn, sizeAligned: false, out var range))
        {
            output.WriteLine($"  alloc {megabytes,3} MB -> fail");
            return default;
        }

        output.WriteLine($"  alloc {megabytes,3} MB -> pfn {range.PfnLo,6} [{range.PfnLo}, {range.PfnHi}]{(note.Length > 0 ? ": " + note : "")}");
        return range;
    }

    private static List<IovaRange> FreeGaps(IovaDomain domain)
    {
        var gaps = new List<IovaRange>();
        ulong next = domain.StartPfn;
        foreach (var used in domain.GetRanges())
        {
            if (used.PfnLo > LimitPfn)
            {
                break;
            }

            if (used.PfnLo > next)
            {
                gaps.Add(new IovaRange(next, used.PfnLo - 1));
            }

            next = used.PfnHi + 1;
        }

        if (next <= LimitPfn)
        {
            gaps.Add(new IovaRange(next, LimitPfn));
        }

        return gaps;
    }

    private static string Describe(List<IovaRange> gaps) => gaps.Count == 0
        ? "nothing"
        : string.Join(", ", gaps.Select(g => string.Create(CultureInfo.InvariantCulture, $"{(double)g.Size / PfnsPerMegabyte:0.#} MB at {g}")));
}
