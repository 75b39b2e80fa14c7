using FastIova.Dma;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Dma;

/// <summary>
/// One flush queue's ring against a list: seeded appends (stamps that only grow, sizes of a few kinds, the ring
/// wrapping many times) and reaps at random finish counts. A reap must free exactly the oldest entries stamped below
/// the count, in order, and keep the rest; an owned queue's appends take no stamp, refuse only a full, closed or held
/// ring, and its reap frees everything in order; a reap into an owner's cache must put its runs into the loaded
/// magazine in that order and the rest through the sink.
/// </summary>
public sealed class FlushQueueTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Reap_FreesTheOldestCoveredEntriesInOrder(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var queue = new FlushQueue(16);
        var model = new List<(ulong Pfn, ulong Pages, long Stamp)>();
        var sink = new RecordingSink();
        long stamp = 0;
        ulong pfn = 1;
        for (int op = 0; op < 20_000; op++)
        {
            if (random.Next(3) != 0 && !queue.IsFull)
            {
                stamp += random.Next(4) == 0 ? 1 : 0;
                ulong pages = (ulong)random.Next(1, 4);
                queue.Append(pfn, pages, stamp);
                model.Add((pfn++, pages, stamp));
            }
            else
            {
                long finished = stamp + 1 - random.Next(0, 3);
                int covered = model.TakeWhile(entry => entry.Stamp < finished).Count();
                sink.Freed.Clear();
                Assert.Equal(covered, queue.Reap(finished, sink));
                Assert.Equal(model.Take(covered).Select(entry => (entry.Pfn, entry.Pages)), sink.Freed);
                model.RemoveRange(0, covered);
                Assert.Equal(model.Count > 0 && model[0].Stamp < finished, queue.CanReap(finished));
            }

            Assert.Equal(model.Count, queue.Count);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OwnedQueue_AppendsUntilFull_AndReapAllFreesEverythingInOrder(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var queue = new FlushQueue(16, Thread.CurrentThread);
        var model = new List<(ulong Pfn, ulong Pages)>();
        var sink = new RecordingSink();
        ulong pfn = 1;
        for (int op = 0; op < 20_000; op++)
        {
            if (random.Next(8) != 0)
            {
                ulong pages = (ulong)random.Next(1, 4);
                bool room = model.Count < 15; // one slot stays unused
                Assert.Equal(room, queue.TryAppendAsOwner(pfn, pages));
                if (room)
                    model.Add((pfn++, pages));
            }
            else
            {
                sink.Freed.Clear();
                Assert.Equal(model.Count, queue.ReapAll(sink));
                Assert.Equal(model, sink.Freed);
                model.Clear();
            }

            Assert.Equal(model.Count, queue.Count);
        }

        // A reaper holding the queue, then a closed queue: the owner's append refuses and changes nothing.
        queue.ReapAll(sink);
        queue.RequestReap();
        Assert.False(queue.TryAppendAsOwner(pfn, 1));
        queue.ReleaseReap();
        Assert.True(queue.TryAppendAsOwner(pfn, 1));
        queue.Close();
        Assert.False(queue.TryAppendAsOwner(pfn + 1, 1));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void Reap_IntoAnOwnersCache_FillsLoadedInOrderThenUsesTheSink()
    {
        using var domain = new IovaDomain(4096, 1);
        using IovaCache cache = domain.CreateCache();
        var queue = new FlushQueue(256);
        var sink = new RecordingSink();

        // 200 one-pfn ranges, then one of two pfns in the middle: the run stops there and resumes after it.
        var pfns = new List<ulong>();
        for (int i = 0; i < 200; i++)
            pfns.Add(domain.Allocate(1, domain.Dma32Pfn - 1).PfnLo);
        ulong pair = domain.Allocate(2, domain.Dma32Pfn - 1).PfnLo;
        for (int i = 0; i < 200; i++)
        {
            queue.Append(pfns[i], 1, 0);
            if (i == 50)
                queue.Append(pair, 2, 0);
        }

        Assert.Equal(201, queue.Reap(1, sink, cache.Owned, hotPages: 32));
        Assert.Equal(0, queue.Count);

        // The cache takes runs while a loaded magazine has room (127 pfns): the first 51, the pair into its own class,
        // then 76 more; the last 73 find loaded full and go through the sink, in ring order. A loaded magazine gives
        // back last in, first out.
        var fromCache = new List<ulong>();
        for (int i = 0; i < 127; i++)
        {
            Assert.True(cache.TryAllocateFast(1, domain.Dma32Pfn - 1, false, out ulong got));
            fromCache.Add(got);
        }

        fromCache.Reverse();
        Assert.Equal(pfns.Take(127), fromCache);
        Assert.Equal(pfns.Skip(127).Select(p => (p, 1UL)), sink.Freed);
        Assert.True(cache.TryAllocateFast(2, domain.Dma32Pfn - 1, false, out ulong second));
        Assert.Equal(pair, second);
    }

    private sealed class RecordingSink : IIovaSink
    {
        public List<(ulong Pfn, ulong Pages)> Freed { get; } = [];

        public void FreeIova(ulong pfn, ulong pages) => Freed.Add((pfn, pages));
    }
}
