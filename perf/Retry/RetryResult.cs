namespace FastIova.Perf.Retry;

/// <summary>One row of the retry table.</summary>
/// <param name="Impl">"augmented" or "linear-walk".</param>
/// <param name="Live">Live ranges above the hole.</param>
/// <param name="Limit">"64-bit" or "32-bit".</param>
/// <param name="Nanoseconds">Median nanoseconds per retry-only allocation.</param>
/// <param name="TreeHeight">The tree's height (nodes on its longest root path).</param>
/// <param name="RangeDepth">The depth at which the allocation links its range.</param>
internal sealed record RetryResult(string Impl, int Live, string Limit, double Nanoseconds, int TreeHeight, int RangeDepth)
{
    /// <summary>The workload name in JSON.</summary>
    public const string Workload = "retry-only";
}
