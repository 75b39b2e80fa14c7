using System.Runtime.InteropServices;
using FastIova.Tree;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Tree;

/// <summary>
/// The two leaf searches (<see cref="IovaTree.CountedSlot"/>, used where 512-bit vectors are accelerated, and
/// <see cref="IovaTree.BisectedSlot"/>, used elsewhere) against a plain scan, over leaves of every length with keys
/// below, on, between and above the starts. The machine runs only one of the two inside the tree, so each is checked
/// here on its own. The slots past the leaf's ranges hold stale starts, as a leaf's do after a removal: the counted
/// search must ignore what its last vector reads there.
/// </summary>
public sealed class LeafSearchTests(ITestOutputHelper output)
{
    [Fact]
    public void BothSearches_AgreeWithAScan_OnEveryLength()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var slots = new ulong[IovaTree.LeafCapacity];
        for (int round = 0; round < 200; round++)
        {
            for (int length = 1; length <= IovaTree.LeafCapacity; length++)
            {
                ulong start = (ulong)random.Next(0, 4) * (ulong.MaxValue / 4);
                for (int i = 0; i < slots.Length; i++)
                {
                    start += (ulong)random.Next(1, 5);
                    slots[i] = start;
                }

                // Stale starts past the ranges: small values that a search reading them would count as "at or below".
                for (int i = length; i < slots.Length; i++)
                    slots[i] = (ulong)random.Next(0, 3);

                ulong key = random.Next(6) switch
                {
                    0 => slots[0] - 1, // below every start: the first slot
                    1 => slots[length - 1] + (ulong)random.Next(0, 3), // at or above the last
                    2 => ulong.MaxValue,
                    _ => slots[random.Next(length)] + (ulong)random.Next(0, 4) - 1, // on, just below or just above a start
                };

                int expected = Scan(slots, length, key);
                ref ulong first = ref MemoryMarshal.GetArrayDataReference(slots);
                Assert.True(expected == IovaTree.CountedSlot(ref first, length, key), $"counted: length {length}, key {key}, seed {seed}");
                Assert.True(expected == IovaTree.BisectedSlot(ref first, length, key), $"bisected: length {length}, key {key}, seed {seed}");
            }
        }
    }

    private static int Scan(ulong[] starts, int length, ulong key)
    {
        int slot = 0;
        for (int i = 0; i < length && starts[i] <= key; i++)
            slot = i;
        return slot;
    }
}
