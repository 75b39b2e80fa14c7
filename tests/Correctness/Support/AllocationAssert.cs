using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Support;

/// <summary>Checks that a steady-state path allocates no managed memory.</summary>
internal static class AllocationAssert
{
    /// <summary>Runs <paramref name="work"/> twice to warm up, then up to three times until one run allocates nothing.</summary>
    public static void AllocatesNothing(ITestOutputHelper output, string what, Action work)
    {
        work(); // warm-up: caches, magazines, queues, tree storage, JIT
        work();

        // A real allocation on the path repeats on every attempt; a one-off (a tier-up, a runtime stub) does not.
        var measured = new List<long>();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            work();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            measured.Add(bytes);
            if (bytes == 0)
                return;
        }

        output.WriteLine($"{what}: {string.Join(", ", measured)} bytes");
        Assert.Fail($"{what}: the steady state allocated {string.Join(", ", measured)} bytes in three attempts");
    }
}
