namespace FastIova.Tree;

/// <summary>
/// One leaf of the <see cref="IovaTree"/>: a node of its red-black tree that holds up to
/// <see cref="IovaTree.LeafCapacity"/> consecutive ranges. The ranges' pfns live in the tree's two pfn arrays at
/// <c>leaf * LeafCapacity + slot</c>, so a leaf's header stays at 48 bytes and a descent reads headers only.
/// </summary>
internal struct TreeLeaf
{
    /// <summary>
    /// The lowest pfn of the free gap below the leaf's first range: the previous leaf's last <c>Hi + 1</c>, or 0 for the
    /// first leaf. The leaves partition <c>[0, AnchorPfn]</c>: this leaf covers <c>[Floor, its last Hi]</c>.
    /// </summary>
    public ulong Floor;

    /// <summary>
    /// The largest free gap below any of this leaf's ranges (<c>Lo - (predecessor.Hi + 1)</c>), or, where the tree marks
    /// the leaf loose, a bound above it: an insertion that cut the largest gap, until a search rescans the leaf.
    /// </summary>
    public ulong LeafMaxGap;

    /// <summary>The largest <see cref="LeafMaxGap"/> in this leaf's subtree (0 for the nil leaf): the search's pruning key.</summary>
    public ulong MaxGap;

    /// <summary>Left child, or <see cref="IovaTree.Nil"/>.</summary>
    public int Left;

    /// <summary>Right child, or <see cref="IovaTree.Nil"/>.</summary>
    public int Right;

    /// <summary>Parent index in the low 31 bits; the sign bit set means red.</summary>
    public int ParentAndColor;

    /// <summary>Ranges held, 1 to <see cref="IovaTree.LeafCapacity"/> while in the tree, 0 once freed.</summary>
    public int Count;

    /// <summary>The previous leaf by address, or <see cref="IovaTree.Nil"/>.</summary>
    public int Prev;

    /// <summary>The next leaf by address, or <see cref="IovaTree.Nil"/>; on the free list, the next free leaf.</summary>
    public int Next;
}
