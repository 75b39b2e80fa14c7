using System.Diagnostics;
using System.Runtime;

namespace FastIova.Perf.Timing;

/// <summary>
/// Warm-up that lasts until tiered compilation has finished with the code it exercises. The runtime promotes a hot
/// method in steps (tier 0, instrumented, optimized), each after more calls and a delay that any new compilation
/// restarts, and compiles on a background thread; on this project's 2-core machine that took seconds, and a retry
/// case timed before the last step came out at 2-4x its steady value. Neither a fixed warm-up nor a sleep after it
/// cured that reliably (promotion needs calls after the delay), so the exercise repeats until the JIT has been quiet
/// for a while.
/// </summary>
internal static class JitSettling
{
    // Ten times the runtime's tiering delay (100 ms): with three times, the first case still came out slow in some runs.
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(1000);
    private static readonly TimeSpan s_longest = TimeSpan.FromSeconds(15);

    /// <summary>Runs <paramref name="round"/> until no method has been compiled for 1 s, or for at most 15 s.</summary>
    public static void Exercise(Action round)
    {
        var clock = Stopwatch.StartNew();
        long compiled = JitInfo.GetCompiledMethodCount();
        TimeSpan quietSince = TimeSpan.Zero;
        while (clock.Elapsed < s_longest)
        {
            round();
            long now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince = clock.Elapsed;
            }
            else if (clock.Elapsed - quietSince >= s_quiet)
            {
                return;
            }
        }
    }
}
