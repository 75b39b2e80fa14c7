using System.Numerics;

namespace FastIova.Cli.Inspection;

/// <summary>
/// The map's horizontal scale, in two pieces: linear from pfn 0 to the 32-bit boundary (where 32-bit devices live and
/// most of the action is), then logarithmic from 4 GiB to the top of the space (at least the top of a 48-bit address
/// space, further when the trace goes higher), so both fit on one line.
/// </summary>
internal sealed class AddressAxis
{
    /// <summary>The share of the width given to the linear piece below 4 GiB.</summary>
    public const double LinearShare = 0.62;

    private readonly double _left;
    private readonly double _width;
    private readonly double _dma32Pfn;
    private readonly double _log2Span;

    /// <summary>Creates the axis for a domain.</summary>
    /// <param name="granule">Bytes per pfn.</param>
    /// <param name="dma32Pfn">The first pfn at or above 4 GiB.</param>
    /// <param name="highestPfn">The highest pfn that must fit (window end, last live pfn).</param>
    /// <param name="left">The x of pfn 0.</param>
    /// <param name="width">The width of the whole axis.</param>
    public AddressAxis(ulong granule, ulong dma32Pfn, ulong highestPfn, double left, double width)
    {
        Granule = granule;
        Dma32Pfn = dma32Pfn;
        int shift = BitOperations.Log2(granule);

        // A power of two at or above both the 48-bit top and the highest pfn used.
        int topBits = Math.Max(48 - shift, 64 - BitOperations.LeadingZeroCount(highestPfn));
        TopPfn = Math.Pow(2, topBits);
        _left = left;
        _width = width;
        _dma32Pfn = dma32Pfn;
        _log2Span = Math.Log2(TopPfn / _dma32Pfn);
    }

    /// <summary>Bytes per pfn.</summary>
    public ulong Granule { get; }

    /// <summary>The 32-bit boundary, where the scale turns logarithmic.</summary>
    public ulong Dma32Pfn { get; }

    /// <summary>The (exclusive) pfn at the right end of the axis, a power of two.</summary>
    public double TopPfn { get; }

    /// <summary>The x of the boundary between the linear and the logarithmic piece.</summary>
    public double BoundaryX => _left + _width * LinearShare;

    /// <summary>The x of the right end.</summary>
    public double Right => _left + _width;

    /// <summary>The x of the start of <paramref name="pfn"/> (pfn may be one past the last, as a double).</summary>
    public double X(double pfn)
    {
        if (pfn <= _dma32Pfn)
        {
            return _left + _width * LinearShare * (pfn / _dma32Pfn);
        }

        double fraction = Math.Min(1.0, Math.Log2(pfn / _dma32Pfn) / _log2Span);
        return BoundaryX + _width * (1 - LinearShare) * fraction;
    }

    /// <summary>
    /// Where to put labelled ticks: each GiB (or a quarter of 4 GiB) below the boundary, then powers of two in bytes,
    /// spaced so that about eight fit, with the 48-bit top always among them.
    /// </summary>
    public IEnumerable<(double Pfn, string Label)> Ticks()
    {
        double bytesPerPfn = Granule;
        for (int quarter = 0; quarter < 4; quarter++)
        {
            double bytes = quarter * (double)(1UL << 30);
            yield return (bytes / bytesPerPfn, quarter == 0 ? "0" : Units.Bytes(bytes));
        }

        int topExponent = (int)Math.Round(Math.Log2(TopPfn * bytesPerPfn));
        int step = Math.Max(2, (int)Math.Ceiling((topExponent - 32) / 8.0));
        for (int exponent = 32 + step; exponent <= topExponent; exponent += step)
        {
            if (Math.Abs(exponent - 48) >= step / 2.0 || exponent == 48)
            {
                yield return (Math.Pow(2, exponent) / bytesPerPfn, Units.Bytes(Math.Pow(2, exponent)));
            }
        }

        if (topExponent >= 48 && (48 - 32) % step != 0)
        {
            yield return (Math.Pow(2, 48) / bytesPerPfn, Units.Bytes(Math.Pow(2, 48)));
        }
    }
}
