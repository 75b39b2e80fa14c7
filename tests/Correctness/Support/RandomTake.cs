namespace FastIova.Tests.Correctness.Support;

/// <summary>Picking what a seeded test frees next.</summary>
internal static class RandomTake
{
    /// <summary>
    /// Removes and returns an element chosen with one <c>random.Next(count)</c> call; the last element fills its place,
    /// so the order of the rest changes but the draw sequence of a seed does not.
    /// </summary>
    public static T TakeRandom<T>(this List<T> items, Random random)
    {
        int index = random.Next(items.Count);
        T item = items[index];
        items[index] = items[^1];
        items.RemoveAt(items.Count - 1);
        return item;
    }
}
