using System.Globalization;

namespace FastIova.Cli.Inspection;

/// <summary>How the inspection commands spell sizes, addresses and ratios (invariant culture, binary units).</summary>
internal static class Units
{
    private static readonly string[] s_binaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"];

    /// <summary>The bytes covered by <paramref name="pfns"/> pfns of <paramref name="granule"/> bytes, e.g. <c>1.5 GiB</c>.</summary>
    public static string Bytes(ulong pfns, ulong granule) => Bytes((double)pfns * granule);

    /// <summary>A byte count in binary units, e.g. <c>4 GiB</c>, <c>12.5 MiB</c>.</summary>
    public static string Bytes(double bytes)
    {
        int unit = 0;
        while (bytes >= 1024 && unit < s_binaryUnits.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes:0.##} {s_binaryUnits[unit]}");
    }

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators.</summary>
    public static string Count(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A ratio as a percentage with one decimal, e.g. <c>93.1%</c>.</summary>
    public static string Percent(double ratio) => string.Create(CultureInfo.InvariantCulture, $"{ratio * 100:0.0}%");

    /// <summary>A fragmentation figure with three decimals, or <c>n/a</c> when nothing is free.</summary>
    public static string Fragmentation(double? value) =>
        value is { } f ? f.ToString("0.000", CultureInfo.InvariantCulture) : "n/a (nothing free)";

    /// <summary>A free gap as <c>[lo, hi] (N pfns, X MiB)</c>, or <c>none</c>.</summary>
    public static string Gap(IovaRange? gap, ulong granule) =>
        gap is { } g ? $"[{g.PfnLo}, {g.PfnHi}] ({Count(g.Size)} pfns, {Bytes(g.Size, granule)})" : "none";
}
