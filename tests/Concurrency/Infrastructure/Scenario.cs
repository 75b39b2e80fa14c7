namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>
/// A named concurrent test body that Coyote runs once per iteration. The name keys saved traces, so that a trace
/// file can be replayed against the body that produced it.
/// </summary>
/// <param name="Name">A stable name, <c>Area.Behaviour</c>.</param>
/// <param name="Body">The body: starts workers, waits for them, asserts with <c>Specification.Assert</c>.</param>
/// <param name="MemoryRaceChecking">
/// Makes plain field reads and writes scheduling points, so that a race through a non-atomic field can be found.
/// Costs more steps per iteration.
/// </param>
public sealed record Scenario(string Name, Func<Task> Body, bool MemoryRaceChecking = false)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
