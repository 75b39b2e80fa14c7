using FastIova.Tree;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Tree;

/// <summary>
/// <see cref="IovaTree.FindContaining(ulong, out int)"/>, which <c>Free</c> uses to find the range and its successor
/// on one descent: on seeded random trees (built by inserts and thinned by removals) it must name the node
/// <see cref="IovaTree.FindContaining(ulong)"/> names, and the successor <see cref="IovaTree.Next"/> gives.
/// </summary>
public sealed class FindContainingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Successor_FoundOnTheDescent_IsNext(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var tree = new IovaTree();
        var nodes = new List<int>();
        ulong pfn = 1;
        for (int i = 0; i < 500; i++)
        {
            pfn += (ulong)random.Next(0, 4); // gaps of 0 to 3 pfns, so some ranges touch
            ulong size = (ulong)random.Next(1, 5);
            nodes.Add(tree.Insert(pfn, pfn + size - 1));
            pfn += size;
        }

        for (int i = nodes.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (nodes[i], nodes[j]) = (nodes[j], nodes[i]);
        }

        for (int round = 0; round < 5; round++)
        {
            for (ulong p = 0; p <= pfn; p++)
            {
                int found = tree.FindContaining(p, out int successor);
                Assert.Equal(tree.FindContaining(p), found);
                Assert.Equal(found == IovaTree.Nil ? IovaTree.Nil : tree.Next(found), successor);
            }

            // Remove a fifth of what is left, so that later rounds see other shapes.
            int remove = nodes.Count / 5;
            foreach (int n in nodes.GetRange(nodes.Count - remove, remove))
                tree.Remove(n, tree.Next(n));
            nodes.RemoveRange(nodes.Count - remove, remove);
            tree.CheckInvariants();
        }
    }
}
