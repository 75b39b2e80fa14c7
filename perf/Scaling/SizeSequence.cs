namespace FastIova.Perf.Scaling;

/// <summary>A thread's fixed, repeating sequence of request sizes, 1..16 pfns: random, but the same on every run.</summary>
internal sealed class SizeSequence
{
    private const int Length = 1024; // a power of two: the index wraps with a mask
    private readonly ulong[] _sizes = new ulong[Length];
    private int _next;

    /// <summary>Creates the sequence of thread <paramref name="threadIndex"/>.</summary>
    public SizeSequence(int threadIndex)
    {
        var random = new Random(1000 + threadIndex);
        for (int i = 0; i < Length; i++)
        {
            _sizes[i] = (ulong)random.Next(1, 17);
        }
    }

    /// <summary>The next size.</summary>
    public ulong Next() => _sizes[_next++ & (Length - 1)];
}
