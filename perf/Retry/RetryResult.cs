namespace FastIova.Perf.Retry;

/// <summary>One row of the retry table.</summary>
/// <param name="Impl">"augmented" or "linear-walk".</param>
/// <param name="Live">Live ranges above the hole.</param>
/// <param name="Limit">"64-bit" or "32-bit".</param>
/// <param name="Nanoseconds">Median nanoseconds per retry-only allocation.</param>
internal sealed record RetryResult(string Impl, int Live, string Limit, double Nanoseconds)
{
    /// <summary>The workload name in JSON.</summary>
    public const string Workload = "retry-only";
}
