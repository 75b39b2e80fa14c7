using Microsoft.Coyote.Specifications;

using FastIova.Tests.Concurrency.Infrastructure;

namespace FastIova.Tests.Concurrency.SelfTests;

/// <summary>
/// Scenarios with a known answer, to prove the harness: one with a planted lost update (two workers read, then write
/// back the read value plus one), one with the same work done atomically.
/// </summary>
internal static class PlantedScenarios
{
    /// <summary>The message the planted bug is reported with; a self test checks for it, never for "some bug".</summary>
    public const string LostUpdateMessage = "Planted lost update: counter is";

    /// <summary>Two workers increment a shared counter by a non-atomic read and write: an update can be lost.</summary>
    public static readonly Scenario LostUpdate = new("SelfTest.LostUpdate", () => CountTo(atomic: false));

    /// <summary>The same increments done with <c>Interlocked</c>: no interleaving loses one.</summary>
    public static readonly Scenario AtomicUpdate = new("SelfTest.AtomicUpdate", () => CountTo(atomic: true));

    private static async Task CountTo(bool atomic)
    {
        var counter = new int[1];
        void Increment()
        {
            if (atomic)
            {
                Interlocked.Increment(ref counter[0]);
            }
            else
            {
                int seen = Volatile.Read(ref counter[0]);
                Volatile.Write(ref counter[0], seen + 1);
            }
        }

        Task[] workers = [Task.Run(Increment), Task.Run(Increment), Task.Run(Increment)];
        await Task.WhenAll(workers);
        Specification.Assert(Volatile.Read(ref counter[0]) == 3, "{0} {1}, expected 3.", LostUpdateMessage, counter[0]);
    }
}
