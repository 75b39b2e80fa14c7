using System.Runtime.InteropServices;

namespace FastIova.Tree;

/// <summary>
/// One range in the <see cref="IovaTree"/>'s node array. 44 bytes: four pfn fields and three links, the colour folded
/// into the parent link's sign bit so that a live range stays under the 48-byte budget even with the array's slack.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct TreeNode
{
    /// <summary>First pfn of the range.</summary>
    public ulong Lo;

    /// <summary>Last pfn of the range (inclusive).</summary>
    public ulong Hi;

    /// <summary>
    /// Free pfns directly below this range: <c>Lo - (predecessor.Hi + 1)</c>, or <c>Lo</c> for the lowest range.
    /// Every free pfn below the anchor belongs to exactly one node's gap, which is what makes the search complete.
    /// </summary>
    public ulong Gap;

    /// <summary>The largest <see cref="Gap"/> in this node's subtree (0 for the nil node): the search's pruning key.</summary>
    public ulong MaxGap;

    /// <summary>Left child, or <see cref="IovaTree.Nil"/>; on the free list, the next free slot.</summary>
    public int Left;

    /// <summary>Right child, or <see cref="IovaTree.Nil"/>.</summary>
    public int Right;

    /// <summary>Parent index in the low 31 bits; the sign bit set means red.</summary>
    public int ParentAndColor;
}
