namespace FastIova.Perf.Scenarios;

/// <summary>Which allocator a benchmark drives. Public because BenchmarkDotNet's generated code names parameter values.</summary>
public enum Implementation
{
    /// <summary>FastIova with its O(log n) descent over the gap-augmented tree.</summary>
    Augmented,

    /// <summary>FastIova with the kernel's gap-by-gap walk (<see cref="PlacementSearch.LinearWalk"/>).</summary>
    LinearWalk,

    /// <summary>The "just lock it" baseline: a Monitor around a sorted set, first fit from the top.</summary>
    GlobalLock,
}

/// <summary>Maps the public benchmark parameter onto the domain's internal option.</summary>
internal static class ImplementationOptions
{
    /// <summary>The domain options that select the placement search of <paramref name="implementation"/>.</summary>
    public static IovaDomainOptions ToDomainOptions(this Implementation implementation) => implementation switch
    {
        Implementation.Augmented => new IovaDomainOptions { Search = PlacementSearch.Augmented },
        Implementation.LinearWalk => new IovaDomainOptions { Search = PlacementSearch.LinearWalk },
        _ => throw new ArgumentOutOfRangeException(nameof(implementation), implementation, "Only FastIova implementations have domain options."),
    };

    /// <summary>Short name used in tables and JSON.</summary>
    public static string Label(this Implementation implementation) => implementation switch
    {
        Implementation.Augmented => "augmented",
        Implementation.LinearWalk => "linear-walk",
        Implementation.GlobalLock => "global-lock",
        _ => implementation.ToString(),
    };
}
