using FastIova.Tree;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Tree;

/// <summary>
/// The first pass's O(1) step (<see cref="IovaAllocator.FirstStepHits"/>): the block directly below the cached node,
/// taken without a search when it is free. Each case pins the answer and whether the step answered it, and the same
/// operations on an allocator without the step (the kernel's walk) must give the same pfns.
/// </summary>
public sealed class FirstStepTests(ITestOutputHelper output)
{
    private const ulong Dma32 = 1_000;
    private const ulong Below32 = Dma32 - 1;
    private const ulong High = 1_999;

    [Fact]
    public void EmptyTree_TakesTheTopUnderTheLimit_FromTheAnchor()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(10, High, expected: 1_990, stepAnswers: true);
    }

    [Fact]
    public void FreeGapBelowTheCachedNode_AnswersEveryAllocation()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(10, Below32, expected: 990, stepAnswers: true);
        pair.Allocate(5, Below32, expected: 985, stepAnswers: true); // below cached32 = [990, 999]
        pair.Allocate(985, Below32, expected: 0, stepAnswers: true); // exactly down to pfn 0
    }

    [Fact]
    public void BlockOverlappingThePredecessor_FallsBackToTheSearch()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(100, Below32, expected: 900, stepAnswers: true); // [900, 999]
        pair.Allocate(10, Below32, expected: 890, stepAnswers: true); // [890, 899], cached32
        pair.Free(900); // cached32 moves to the successor, the anchor, whose gap now starts at 900
        pair.Allocate(100, Below32, expected: 900, stepAnswers: true);
        pair.Free(900);
        // 101 pfns under the limit would start at 899, inside [890, 899]: the search finds the block below 890.
        pair.Allocate(101, Below32, expected: 789, stepAnswers: false);
    }

    [Fact]
    public void AlignmentPushingBelowThePredecessor_FallsBackToTheSearch()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(3, Below32, expected: 997, stepAnswers: true); // [997, 999]
        pair.Allocate(5, Below32, expected: 992, stepAnswers: true); // [992, 996]
        pair.Free(997); // cached32 := anchor; the gap below it is [997, ...], 3 pfns under the limit
        // Unaligned, 2 pfns fit at 998 at once.
        pair.Allocate(2, Below32, expected: 998, stepAnswers: true);
        pair.Free(998);
        // Aligned to 4, 3 pfns would start at (1000 - 3) & ~3 = 996, inside [992, 996]: the search goes below 992.
        pair.Allocate(3, Below32, expected: 988, stepAnswers: false, sizeAligned: true);
    }

    [Fact]
    public void AlignmentStayingInTheGap_IsAnsweredByTheStep()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(3, Below32, expected: 997, stepAnswers: true);
        // Aligned to 8: (997 - 5) & ~7 = 992, above pfn 0, the gap's bottom.
        pair.Allocate(5, Below32, expected: 992, stepAnswers: true, sizeAligned: true);
    }

    [Fact]
    public void LimitBelowTheGapBottom_FallsBackToTheSearch()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(10, High, expected: 1_990, stepAnswers: true); // cached (64-bit) = [1990, 1999]
        pair.Allocate(10, High, expected: 1_980, stepAnswers: true);
        pair.Free(1_990); // cached := anchor, whose gap is [1990, ...]
        // Limit 1_984: below the anchor's gap bottom (1990), so the block is not in that gap.
        pair.Allocate(4, 1_984, expected: 1_976, stepAnswers: false);
    }

    [Fact]
    public void LimitInsideTheGap_CapsTheStep()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(10, High, expected: 1_990, stepAnswers: true);
        pair.Free(1_990); // cached := anchor, gap [0, ...]
        pair.Allocate(4, 1_500, expected: 1_497, stepAnswers: true);
    }

    [Fact]
    public void StartPfnAboveTheBlock_FallsBackAndFails()
    {
        var pair = new Pair(startPfn: 100);
        pair.Allocate(890, Below32, expected: 110, stepAnswers: true); // [110, 999]
        // 11 pfns would start at 99, free but below the start pfn: nothing fits at all.
        pair.Fail(11, Below32);
        pair.Allocate(10, Below32, expected: 100, stepAnswers: true);
    }

    [Fact]
    public void WindowSmallerThanTheRequest_FallsBackAndFails()
    {
        var pair = new Pair(startPfn: 0);
        pair.Fail(11, 9); // limit + 1 = 10 < 11 pfns
        pair.Allocate(10, 9, expected: 0, stepAnswers: true);
    }

    [Fact]
    public void ThirtyTwoBitRequest_UsesTheThirtyTwoBitCachedNode()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(10, Below32, expected: 990, stepAnswers: true); // cached32 = [990, 999]
        pair.Allocate(10, High, expected: 1_990, stepAnswers: true); // cached = [1990, 1999]
        // A 32-bit request starts below cached32 (990); from cached's gap [1000, 1989] capped at the limit it would
        // get 995.
        pair.Allocate(5, Below32, expected: 985, stepAnswers: true);
        // A 64-bit request starts below cached: the top of [1000, 1989].
        pair.Allocate(5, High, expected: 1_985, stepAnswers: true);
    }

    [Fact]
    public void LowestNodeAsCachedNode_HasItsGapDownToPfnZero()
    {
        var pair = new Pair(startPfn: 0);
        pair.Allocate(999, Below32, expected: 1, stepAnswers: true); // [1, 999]: the lowest node, gap [0, 0]
        pair.Allocate(1, Below32, expected: 0, stepAnswers: true);
        pair.Fail(1, Below32);
    }

    [Fact]
    public void RandomOperations_AgreeWithTheWalk_AndTakeBothBranches()
    {
        const int seed = 20_251_130;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var pair = new Pair(startPfn: (ulong)random.Next(0, 50));
        var live = new List<ulong>();
        for (int i = 0; i < 20_000; i++)
        {
            if (live.Count > 0 && (random.Next(3) == 0 || live.Count > 60))
            {
                int index = random.Next(live.Count);
                pair.Free(live[index]);
                live.RemoveAt(index);
                continue;
            }

            ulong size = (ulong)random.Next(1, 40);
            ulong limit = random.Next(4) switch { 0 => Below32, 1 => High, 2 => (ulong)random.Next(0, 2_000), _ => 4_095 };
            if (pair.Allocate(size, limit, random.Next(3) == 0) is ulong pfn)
                live.Add(pfn);
        }

        output.WriteLine($"step answered {pair.Hits} of {pair.Allocations} allocations");
        Assert.InRange(pair.Hits, 1, pair.Allocations - 1);
        pair.CheckInvariants();
    }

    // The allocator under test and the kernel's walk on the same operations.
    private sealed class Pair(ulong startPfn)
    {
        private readonly IovaAllocator _augmented = new(startPfn, Dma32, PlacementSearch.Augmented);
        private readonly IovaAllocator _walk = new(startPfn, Dma32, PlacementSearch.LinearWalk);

        public long Hits => _augmented.FirstStepHits;

        public long Allocations => _augmented.Allocations;

        public void Allocate(ulong size, ulong limitPfn, ulong expected, bool stepAnswers, bool sizeAligned = false)
        {
            long hitsBefore = Hits;
            Assert.Equal(expected, Allocate(size, limitPfn, sizeAligned));
            Assert.Equal(stepAnswers, Hits == hitsBefore + 1);
        }

        public void Fail(ulong size, ulong limitPfn)
        {
            long hitsBefore = Hits;
            Assert.Null(Allocate(size, limitPfn, sizeAligned: false));
            Assert.Equal(hitsBefore, Hits);
        }

        public ulong? Allocate(ulong size, ulong limitPfn, bool sizeAligned)
        {
            var result = _augmented.TryAllocate(size, limitPfn, sizeAligned, out int node);
            var expected = _walk.TryAllocate(size, limitPfn, sizeAligned, out int walkNode);
            Assert.Equal(expected, result);
            if (result != AllocationFailure.None)
                return null;
            Assert.Equal(_walk.Tree.Range(walkNode), _augmented.Tree.Range(node));
            return _augmented.Tree.Lo(node);
        }

        public void Free(ulong pfn)
        {
            Assert.True(_augmented.Free(pfn));
            Assert.True(_walk.Free(pfn));
        }

        public void CheckInvariants()
        {
            _augmented.CheckInvariants();
            _walk.CheckInvariants();
            Assert.Equal(_walk.Tree.ToArray(), _augmented.Tree.ToArray());
        }
    }
}
