using FastIova.Tree;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Tree;

/// <summary>
/// <see cref="IovaTree"/> against a sorted list of ranges, on seeded random streams of inserts (in gaps the stream
/// picks, and in address order both ways, which splits leaves at either end), removals (which empty and merge leaves)
/// and downward extensions. After every step the tree's invariants are checked; every few steps each query
/// (<c>FindContaining</c> and its range's <c>Next</c>, <c>FirstEndingAtOrAbove</c>, <c>Next</c>/<c>Prev</c> order,
/// <c>FindHighest</c> over random windows, sizes and alignments, and <c>FindHighestBelow</c> from a range) must give the
/// list's answer.
/// </summary>
public sealed class IovaTreeModelTests(ITestOutputHelper output)
{
    public static TheoryData<int, int> Streams => new()
    {
        { 1, 40 }, { 2, 40 }, { 3, 300 }, { 4, 300 }, { 5, 2_000 }, { 6, 2_000 },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void RandomStream_AgreesWithTheSortedList(int seed, int targetRanges)
    {
        output.WriteLine($"seed {seed}, about {targetRanges} ranges");
        var random = new Random(seed);
        var tree = new IovaTree(initialLeaves: 2);
        var model = new List<(ulong Lo, ulong Hi)> { (IovaTree.AnchorPfn, IovaTree.AnchorPfn) };
        ulong space = (ulong)targetRanges * 40;

        for (int step = 0; step < 6 * targetRanges; step++)
        {
            int phase = step / targetRanges; // grow, churn, shrink, grow in order, churn, shrink
            bool grow = phase switch { 0 or 3 => random.Next(10) < 8, 2 or 5 => random.Next(10) < 2, _ => random.Next(2) == 0 };
            int kind = random.Next(20);
            if (kind == 0 && model.Count > 1)
            {
                ExtendRandomRangeDown(random, tree, model);
            }
            else if (grow)
            {
                if (phase == 3)
                    InsertInOrder(random, tree, model, space, descending: step % 2 == 0);
                else
                    InsertRandom(random, tree, model, space);
            }
            else if (model.Count > 1)
            {
                var (lo, _) = model[random.Next(model.Count - 1)];
                int n = tree.FindContaining(lo);
                Assert.Equal(lo, tree.Lo(n));
                ulong successorLo = tree.Lo(tree.Next(n));
                int after = tree.Remove(n);
                Assert.Equal(successorLo, tree.Lo(after));
                model.RemoveAt(model.FindIndex(r => r.Lo == lo));
            }

            tree.CheckInvariants();
            if (step % 7 == 0)
                CompareQueries(random, tree, model, space);
        }

        CompareQueries(random, tree, model, space);
        output.WriteLine($"ended with {tree.Count} ranges in {tree.LeafCount} leaves, height {tree.Height()}");
    }

    [Fact]
    public void TopDownAllocation_FillsItsLeaves()
    {
        var tree = new IovaTree();
        int above = tree.Anchor;
        for (ulong i = 0; i < 10 * IovaTree.LeafCapacity; i++)
        {
            ulong lo = 1_000_000 - 2 * (i + 1);
            above = tree.InsertBelow(above, lo, lo);
        }

        tree.CheckInvariants();
        Assert.Equal(11, tree.LeafCount); // ten full leaves below the anchor's
    }

    private static void InsertRandom(Random random, IovaTree tree, List<(ulong Lo, ulong Hi)> model, ulong space)
    {
        ulong pfn = (ulong)random.NextInt64(0, (long)space);
        int found = tree.FindContaining(pfn);
        if (found != IovaTree.Nil)
            return;
        int above = tree.FirstEndingAtOrAbove(pfn);
        ulong hi = Math.Min(tree.Lo(above) - 1, pfn + (ulong)random.Next(0, 8));
        int n = random.Next(2) == 0 ? tree.Insert(pfn, hi) : tree.InsertBelow(above, pfn, hi);
        Assert.Equal((pfn, hi), (tree.Lo(n), tree.Hi(n)));
        model.Insert(model.FindIndex(r => r.Lo > hi), (pfn, hi));
    }

    // A run of ranges below the lowest or above the highest, each placed next to the last: top-down allocation's
    // pattern (each below the previous) and its mirror.
    private static void InsertInOrder(Random random, IovaTree tree, List<(ulong Lo, ulong Hi)> model, ulong space, bool descending)
    {
        if (descending)
        {
            ulong top = Math.Min(model[0].Lo, space);
            if (top < 4)
                return;
            ulong hi = top - 1 - (ulong)random.Next(0, 2), lo = hi - Math.Min(hi, (ulong)random.Next(0, 3));
            tree.InsertBelow(tree.First(), lo, hi);
            model.Insert(0, (lo, hi));
        }
        else
        {
            ulong bottom = model.Count > 1 ? model[^2].Hi + 1 + (ulong)random.Next(0, 2) : 0;
            if (bottom > space * 2)
                return;
            ulong hi = bottom + (ulong)random.Next(0, 3);
            tree.InsertBelow(tree.Anchor, bottom, hi);
            model.Insert(model.Count - 1, (bottom, hi));
        }
    }

    private static void ExtendRandomRangeDown(Random random, IovaTree tree, List<(ulong Lo, ulong Hi)> model)
    {
        int i = random.Next(model.Count - 1);
        ulong gapBottom = i == 0 ? 0 : model[i - 1].Hi + 1;
        var (lo, hi) = model[i];
        if (lo == gapBottom)
            return;
        ulong newLo = lo - (ulong)random.NextInt64(1, (long)(lo - gapBottom) + 1);
        tree.ExtendDown(tree.FindContaining(lo), newLo);
        model[i] = (newLo, hi);
    }

    private static void CompareQueries(Random random, IovaTree tree, List<(ulong Lo, ulong Hi)> model, ulong space)
    {
        Assert.Equal(model.Count - 1, tree.Count);
        Assert.Equal(model.Take(model.Count - 1).Select(r => new IovaRange(r.Lo, r.Hi)), tree.ToArray());

        // Prev undoes Next across the whole order, leaf boundaries included.
        int last = tree.First();
        for (int n = tree.Next(last); n != IovaTree.Nil; last = n, n = tree.Next(n))
            Assert.Equal(last, tree.Prev(n));
        Assert.Equal(tree.Anchor, last);

        for (int probe = 0; probe < 50; probe++)
        {
            ulong pfn = (ulong)random.NextInt64(0, (long)space + 100);
            int i = model.FindIndex(r => r.Hi >= pfn);
            bool contained = model[i].Lo <= pfn;
            int found = tree.FindContaining(pfn);
            int successor = found == IovaTree.Nil ? IovaTree.Nil : tree.Next(found);
            Assert.Equal(contained ? model[i].Lo : (ulong?)null, found == IovaTree.Nil ? null : tree.Lo(found));
            Assert.Equal(contained ? model[i + 1].Lo : (ulong?)null, successor == IovaTree.Nil ? null : tree.Lo(successor));
            Assert.Equal(model[i].Lo, tree.Lo(tree.FirstEndingAtOrAbove(pfn)));

            ulong low = (ulong)random.NextInt64(0, (long)space), high = low + (ulong)random.NextInt64(0, (long)space);
            ulong size = (ulong)random.Next(1, 40);
            ulong alignMask = random.Next(3) == 0 ? ~((1UL << random.Next(1, 5)) - 1) : ulong.MaxValue;
            ulong expected = HighestInModel(model, low, high, size, alignMask, out ulong expectedAboveLo);
            ulong actual = tree.FindHighest(low, high, size, alignMask, out int above);
            Assert.Equal(expected, actual);
            if (actual != IovaTree.NotFound)
                Assert.Equal(expectedAboveLo, tree.Lo(above));

            // The first pass's search, from a range's handle: half the time a leaf's first range, whose leaf holds one
            // gap of the window, so that the leaf below and the descent beyond it both answer.
            int from = tree.FindContaining(model[random.Next(model.Count)].Lo);
            if (probe % 2 == 0 && (from & (IovaTree.LeafCapacity - 1)) != 0)
                from &= ~(IovaTree.LeafCapacity - 1);
            if (tree.Lo(from) == 0)
                continue;
            expected = HighestInModel(model, low, tree.Lo(from) - 1, size, alignMask, out expectedAboveLo);
            actual = tree.FindHighestBelow(from, low, size, alignMask, out above);
            Assert.Equal(expected, actual);
            if (actual != IovaTree.NotFound)
                Assert.Equal(expectedAboveLo, tree.Lo(above));
        }
    }

    // The highest aligned block in [low, high] that lies in one gap, gap by gap from the top (the kernel's walk).
    private static ulong HighestInModel(List<(ulong Lo, ulong Hi)> model, ulong low, ulong high, ulong size, ulong alignMask, out ulong aboveLo)
    {
        for (int i = model.Count - 1; i >= 0; i--)
        {
            ulong gapBottom = i == 0 ? 0 : model[i - 1].Hi + 1;
            if (model[i].Lo == gapBottom)
                continue;
            ulong top = Math.Min(model[i].Lo - 1, high), bottom = Math.Max(gapBottom, low);
            if (top < bottom || top - bottom + 1 < size)
                continue;
            ulong start = (top - size + 1) & alignMask;
            if (start >= bottom)
            {
                aboveLo = model[i].Lo;
                return start;
            }
        }

        aboveLo = 0;
        return IovaTree.NotFound;
    }
}
