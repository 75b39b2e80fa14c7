using FastIova.Tree;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Tree;

/// <summary>
/// The one-slot moves inside a leaf, each width on its own (<c>Wide</c>, eight pfns a copy, is the only one the tree
/// uses for eight or more pfns where 512-bit vectors are accelerated; <c>Narrow</c> everywhere else), against
/// <see cref="Array.Copy(Array, int, Array, int, int)"/> over every count a leaf can move and every place in its slots:
/// the moved pfns land one slot over, and nothing outside the source and destination changes.
/// </summary>
public sealed class LeafShiftTests(ITestOutputHelper output)
{
    private delegate void Shift(ref ulong at, int count);

    [Fact]
    public void ShiftUp_BothWidths_MatchArrayCopy() => Check(up: true);

    [Fact]
    public void ShiftDown_BothWidths_MatchArrayCopy() => Check(up: false);

    private void Check(bool up)
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        (string Name, Shift Move, int Least)[] widths = up
            ? [("wide", IovaTree.ShiftUpWide, 8), ("narrow", IovaTree.ShiftUpNarrow, 0)]
            : [("wide", IovaTree.ShiftDownWide, 8), ("narrow", IovaTree.ShiftDownNarrow, 0)];
        foreach (var (name, move, least) in widths)
        {
            for (int count = least; count < IovaTree.LeafCapacity; count++)
            {
                for (int at = 0; at + count < IovaTree.LeafCapacity; at++)
                {
                    var slots = new ulong[IovaTree.LeafCapacity];
                    for (int i = 0; i < slots.Length; i++)
                        slots[i] = (ulong)random.NextInt64();
                    var expected = (ulong[])slots.Clone();
                    if (up)
                        Array.Copy(expected, at, expected, at + 1, count);
                    else
                        Array.Copy(expected, at + 1, expected, at, count);

                    move(ref slots[at], count);
                    Assert.True(expected.AsSpan().SequenceEqual(slots), $"{name} shift {(up ? "up" : "down")} of {count} at {at}, seed {seed}");
                }
            }
        }
    }
}
