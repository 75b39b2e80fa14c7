using FastIova.Trace;
using FastIova.Tests.Concurrency.Infrastructure;
using FastIova.Tests.Concurrency.Model;
using Microsoft.Coyote.Specifications;

namespace FastIova.Tests.Concurrency.Scenarios;

/// <summary>Recording (<see cref="IovaDomainOptions.Recorder"/>) while several threads use the domain.</summary>
internal static class RecordingScenarios
{
    /// <summary>
    /// Three workers run tree operations, a simulated CPU's fast path, the thread fast path, an owned cache, Reserve,
    /// Count, flushes and a trim on a recording domain, all in one small space so that every result depends on what
    /// ran before it. The trace must hold one line per operation and replay with no mismatch to the same tree: the
    /// order the lines were written in is the order the operations took effect.
    /// </summary>
    public static readonly Scenario ConcurrentOpsReplay = new("Recording.ConcurrentOpsReplay", ConcurrentOpsReplayAsync);

    private const ulong Limit = 63;
    private const ulong Size = 2;

    private static async Task ConcurrentOpsReplayAsync()
    {
        var text = new StringWriter();
        using var recorder = new TraceRecorder(text);
        using var domain = new IovaDomain(SmallDomain.Granule, SmallDomain.StartPfn, new IovaDomainOptions
        {
            CpuCount = 1, // the thread fast path records on the CPU it runs on: with one, always CPU 0
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
            Recorder = recorder,
        });
        var ledger = new OwnershipLedger();
        int operations = 0;
        void Done(int n) => Interlocked.Add(ref operations, n);
        Task[] workers =
        [
            Task.Run(() =>
            {
                IovaRange first = domain.Allocate(Size, Limit);
                ledger.Claim(first, "tree");
                ledger.Release(first);
                Specification.Assert(domain.Free(first.PfnLo), "Free of the live range {0} returned false.", first);
                ledger.Claim(domain.Allocate(Size, Limit), "tree");
                domain.Find(first.PfnLo);
                Done(4);
            }),
            Task.Run(() =>
            {
                var cpu = FastPathEndpoint.Cpu(domain.Cpu(0), ledger, "cpu0");
                IovaRange range = FastPathScenarios.TakeOrFail(cpu, Size);
                cpu.Give(range);
                ledger.Claim(domain.Reserve(40, 41), "reserve");
                _ = domain.Count;
                domain.TrimDepot();
                Done(5);
            }),
            Task.Run(() =>
            {
                var thread = FastPathEndpoint.Thread(domain, ledger, "thread");
                IovaRange range = FastPathScenarios.TakeOrFail(thread, Size);
                domain.FlushCaches();
                thread.Give(range);
                using IovaCache cache = domain.CreateCache();
                var owned = FastPathEndpoint.Owned(cache, ledger, "owned");
                owned.Give(FastPathScenarios.TakeOrFail(owned, Size));
                Done(2 + 2 + 2); // FlushCaches records one flush per CPU and one of the depots
            }),
        ];
        await Task.WhenAll(workers);
        recorder.Flush();

        using var replayer = new TraceReplayer();
        TraceReplayResult result;
        try
        {
            result = replayer.Replay(new TraceReader(new StringReader(text.ToString()), "recorded"));
        }
        catch (TraceFormatException malformed)
        {
            Specification.Assert(false, "The recorded trace does not replay: {0}\n{1}", malformed.Message, text);
            return;
        }

        Specification.Assert(
            result.MismatchCount == 0,
            "The recorded trace replays with {0} mismatches (first: {1}): lines were written out of the order they took effect.\n{2}",
            result.MismatchCount, result.Mismatches.FirstOrDefault(), text);
        Specification.Assert(result.Operations == 1 + operations, "{0} lines recorded for 1 + {1} operations.\n{2}", result.Operations, operations, text);
        IovaRange[] replayed = replayer.Domain!.GetRanges(), original = domain.GetRanges();
        Specification.Assert(replayed.SequenceEqual(original), "The replay ends with {0}, the recording with {1}.", string.Join(" ", replayed), string.Join(" ", original));
        DomainAudit.AssertNothingLost(domain, ledger, allocationsBalanceFrees: false);
    }
}
