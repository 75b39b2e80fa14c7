using System.Globalization;
using System.Xml.Linq;

namespace FastIova.Cli.Inspection;

/// <summary>
/// Draws a domain's IOVA space as SVG: one bar over the whole address axis (see <see cref="AddressAxis"/>) with live,
/// cached and free regions, linear close-ups of the two busiest stretches, the figures of <c>fastiova stats</c>
/// above, and a legend.
/// </summary>
/// <remarks>
/// Every range of the tree is one <c>rect</c> of the <c>space</c> group, with class <c>live</c>, <c>cached</c> or (in a
/// DMA domain) <c>queued</c>, unmapped and waiting in a flush queue for an IOTLB flush, and its
/// pfns in <c>data-lo</c>/<c>data-hi</c>, so tools (and tests) can read the picture back. Ranges narrower than a pixel
/// are drawn a minimum width wide, so that a lone small range stays visible.
/// </remarks>
internal static class SpaceMapSvg
{
    private const double Width = 1200;
    private const double Margin = 40;
    private const double BarHeight = 56;
    private const double MinimumRangeWidth = 0.6;
    private const double LineHeight = 17;

    private const string LiveColour = "#2f66b3";
    private const string CachedColour = "#f08c00";
    private const string QueuedColour = "#c2185b";
    private const string FreeColour = "#d8f0d2";
    private const string BeyondColour = "#ececec";
    private const string BelowStartColour = "#9a9a9a";

    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    /// <summary>Renders <paramref name="space"/>.</summary>
    /// <param name="space">The domain's state.</param>
    /// <param name="title">The first line: usually the trace's name and the op shown.</param>
    /// <returns>A standalone SVG document.</returns>
    public static XDocument Render(SpaceSnapshot space, string title)
    {
        var root = new XElement(
            s_svg + "svg",
            new XAttribute("width", Number(Width)),
            new XAttribute("font-family", "DejaVu Sans, Helvetica, Arial, sans-serif"),
            new XAttribute("font-size", "12"));
        root.Add(new XElement(s_svg + "title", title));
        var background = new XElement(s_svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white"));
        root.Add(background);

        double y = 24;
        root.Add(Text(Margin, y, title, ("font-size", "15"), ("font-weight", "bold")));
        y += LineHeight + 4;
        foreach (string line in FigureLines(space))
        {
            root.Add(Text(Margin, y, line));
            y += LineHeight;
        }

        y += 50;
        var kinds = new Dictionary<IovaRange, string>();
        foreach (var range in space.Cached)
        {
            kinds[range] = "cached";
        }

        foreach (var range in space.Queued)
        {
            kinds[range] = "queued";
        }

        ulong highest = Math.Max(space.WindowEnd, space.Ranges.Length > 0 ? space.Ranges[^1].PfnHi : 0);
        var axis = new AddressAxis(space.Granule, space.Dma32Pfn, highest, Margin, Width - 2 * Margin);
        root.Add(Text(Margin, y - 38, "Whole space: linear up to 4 GiB, logarithmic above", ("font-weight", "bold")));
        root.Add(SpaceBar(space, kinds, pfn => axis.X((double)pfn), (UInt128)axis.TopPfn, y, "space"));
        root.Add(WholeAxis(space, axis, y));
        y += BarHeight + 96;

        int number = 0;
        foreach (var (closeUp, count) in CloseUps(space))
        {
            number++;
            double left = Margin;
            double width = Width - 2 * Margin;
            double span = closeUp.Size;

            // Offsets from the first pfn, exact: pfns above 2^53 do not survive a double.
            double X(UInt128 pfn) => left + width * (pfn <= closeUp.PfnLo ? 0 : Math.Min(1, (double)(pfn - closeUp.PfnLo) / span));
            root.Add(Text(
                Margin,
                y - 38,
                $"Close-up {number}, linear: pfns [{closeUp.PfnLo}, {closeUp.PfnHi}] ({Units.Bytes(closeUp.Size, space.Granule)}), {Units.Count(count)} range{(count == 1 ? "" : "s")}",
                ("font-weight", "bold")));
            root.Add(SpaceBar(space, kinds, X, (UInt128)closeUp.PfnHi + 1, y, $"close-up-{number}", closeUp));
            root.Add(CloseUpAxis(space, closeUp, X, y, number));
            y += BarHeight + 92;
        }

        root.Add(Legend(y, withQueued: space.Dma is not null));
        y += 40;
        root.Add(new XAttribute("height", Number(y)));
        root.Add(new XAttribute("viewBox", $"0 0 {Number(Width)} {Number(y)}"));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>The headline figures, as <c>fastiova stats</c> computes them.</summary>
    internal static IEnumerable<string> FigureLines(SpaceSnapshot space)
    {
        var statistics = space.Statistics;
        var below = space.Below32Bit;
        var above = space.Above32Bit;
        var activity = space.Activity;
        yield return $"granule {space.Granule} B, start pfn {space.StartPfn}, 4 GiB at pfn {space.Dma32Pfn}, {space.CpuCount} CPUs; " +
            $"window [{space.StartPfn}, {space.WindowEnd}] (start pfn to the highest limit asked for)";
        yield return $"live: {Units.Count(statistics.LiveRanges)} ranges, {Units.Count(statistics.LivePfns)} pfns ({Units.Bytes(statistics.LivePfns, space.Granule)}), " +
            $"of which cached: {Units.Count(space.Cached.Length)} ranges, {Units.Count(space.CachedPfns)} pfns";
        yield return below.IsEmpty
            ? "below 4 GiB: outside the window"
            : $"below 4 GiB: {Units.Count(below.TotalFree)} pfns free in {Units.Count(below.GapCount)} gaps, largest {Units.Gap(below.LargestGap, space.Granule)}, " +
              $"fragmentation {Units.Fragmentation(below.Fragmentation)}";
        yield return above.IsEmpty
            ? "at/above 4 GiB: outside the window"
            : $"at/above 4 GiB: {Units.Count(above.TotalFree)} pfns free in {Units.Count(above.GapCount)} gaps, largest {Units.Gap(above.LargestGap, space.Granule)}, " +
              $"fragmentation {Units.Fragmentation(above.Fragmentation)}";
        yield return $"whole window fragmentation {Units.Fragmentation(space.Window.Fragmentation)} (1 - largest free gap / free pfns; cached ranges count as used); " +
            $"cache hit rate {(statistics.CacheHits + statistics.CacheMisses == 0 ? "-" : Units.Percent(statistics.HitRate))}, depot magazines {Units.Count(statistics.DepotMagazines)}";
        if (space.Dma is { } dma)
        {
            yield return $"DMA, {DmaText.Mode(dma.Mode)}: queued {Units.Count(space.Queued.Length)} ranges, {Units.Count(space.QueuedPfns)} pfns; " +
                $"IOTLB flushes {Units.Count(dma.IotlbFlushes)}, timer {(dma.TimerArmed ? "armed" : "not armed")}; " +
                $"maps {Units.Count(dma.Activity.Maps)}, unmaps {Units.Count(dma.Activity.Unmaps)}, map failures {Units.Count(dma.Activity.MapFailures)}, " +
                $"map_nomem {Units.Count(dma.Activity.MapNoMem)}; workaround flips: {DmaText.Flips(dma.Activity.Flips)}";
        }

        yield return $"failed: alloc {Units.Count(activity.AllocFailures)}, alloc_fast after flush {Units.Count(activity.FastFailuresAfterFlush)}, " +
            $"alloc_fast cache-only (flush=0) {Units.Count(activity.FastFailuresCacheOnly)}, reserve {Units.Count(activity.ReserveFailures)}; " +
            $"tree: no fitting block {Units.Count(statistics.FailuresExhausted)}, 32-bit hint {Units.Count(statistics.Failures32BitHint)}";
    }

    /// <summary>
    /// Up to two stretches worth a linear close-up, in address order: the ranges split into clusters wherever two
    /// neighbours lie further apart than all live pfns together or a thousandth of the occupied extent, whichever is
    /// less, and the clusters with the most ranges win.
    /// </summary>
    private static IEnumerable<(IovaRange Stretch, int Ranges)> CloseUps(SpaceSnapshot space)
    {
        var ranges = space.Ranges;
        if (ranges.Length == 0)
        {
            return [];
        }

        ulong extent = ranges[^1].PfnHi - ranges[0].PfnLo;
        ulong separation = Math.Max(64, Math.Min(space.Statistics.LivePfns, extent / 1000));
        var clusters = new List<(IovaRange Stretch, int Ranges)>();
        int firstIndex = 0;
        for (int i = 1; i <= ranges.Length; i++)
        {
            if (i == ranges.Length || ranges[i].PfnLo - ranges[i - 1].PfnHi > separation)
            {
                clusters.Add((new IovaRange(ranges[firstIndex].PfnLo, ranges[i - 1].PfnHi), i - firstIndex));
                firstIndex = i;
            }
        }

        return clusters
            .OrderByDescending(c => c.Ranges)
            .Take(2)
            .Select(c => (Pad(c.Stretch), c.Ranges))
            .OrderBy(c => c.Item1.PfnLo);
    }

    private static IovaRange Pad(IovaRange stretch)
    {
        ulong pad = Math.Max(4, stretch.Size / 50);
        ulong lo = stretch.PfnLo > pad ? stretch.PfnLo - pad : 0;
        ulong hi = stretch.PfnHi < ulong.MaxValue - 1 - pad ? stretch.PfnHi + pad : ulong.MaxValue - 1;
        return new IovaRange(lo, hi);
    }

    /// <summary>One bar: <paramref name="x"/> maps a pfn (or one past the last) to its x; <paramref name="end"/> is the exclusive end.</summary>
    private static XElement SpaceBar(SpaceSnapshot space, Dictionary<IovaRange, string> kinds, Func<UInt128, double> x, UInt128 end, double y, string id, IovaRange? clip = null)
    {
        var group = new XElement(s_svg + "g", new XAttribute("id", id));
        UInt128 first = clip?.PfnLo ?? 0;
        group.Add(Rect(x(first), y, x(end) - x(first), BarHeight, BeyondColour, "beyond"));
        UInt128 windowLo = UInt128.Max(first, space.StartPfn);
        UInt128 windowEnd = UInt128.Min(end, (UInt128)space.WindowEnd + 1);
        if (windowEnd > windowLo)
        {
            group.Add(Rect(x(windowLo), y, x(windowEnd) - x(windowLo), BarHeight, FreeColour, "free"));
        }

        if (space.StartPfn > first)
        {
            UInt128 startEnd = UInt128.Min(end, space.StartPfn);
            group.Add(Rect(x(first), y, x(startEnd) - x(first), BarHeight, BelowStartColour, "below-start"));
        }

        foreach (var range in space.Ranges)
        {
            if (clip is { } c && (range.PfnHi < c.PfnLo || range.PfnLo > c.PfnHi))
            {
                continue;
            }

            string kind = kinds.GetValueOrDefault(range, "live");
            string colour = kind switch { "cached" => CachedColour, "queued" => QueuedColour, _ => LiveColour };
            double x0 = x(range.PfnLo);
            double x1 = x((UInt128)range.PfnHi + 1);
            var rect = Rect(x0, y, Math.Max(MinimumRangeWidth, x1 - x0), BarHeight, colour, kind);
            rect.Add(new XAttribute("data-lo", range.PfnLo.ToString(CultureInfo.InvariantCulture)));
            rect.Add(new XAttribute("data-hi", range.PfnHi.ToString(CultureInfo.InvariantCulture)));
            group.Add(rect);
        }

        group.Add(new XElement(
            s_svg + "rect",
            new XAttribute("x", Number(x(first))),
            new XAttribute("y", Number(y)),
            new XAttribute("width", Number(x(end) - x(first))),
            new XAttribute("height", Number(BarHeight)),
            new XAttribute("fill", "none"),
            new XAttribute("stroke", "#444")));
        return group;
    }

    private static XElement WholeAxis(SpaceSnapshot space, AddressAxis axis, double y)
    {
        var group = new XElement(s_svg + "g", new XAttribute("id", "axis"));
        double bottom = y + BarHeight;
        foreach (var (pfn, label) in axis.Ticks())
        {
            double x = axis.X(pfn);
            group.Add(Line(x, bottom, x, bottom + 5, "#444"));
            group.Add(Text(x, bottom + 18, label, ("text-anchor", "middle"), ("font-size", "11")));
        }

        // The 4 GiB boundary, where the scale changes, start_pfn, and the top of a 48-bit space.
        double boundary = axis.BoundaryX;
        group.Add(Line(boundary, y - 8, boundary, bottom + 24, "#c0392b", dashed: true));
        group.Add(Text(boundary, bottom + 36, $"4 GiB = pfn {space.Dma32Pfn}: linear to the left, logarithmic to the right", ("text-anchor", "middle"), ("fill", "#c0392b")));
        double start = axis.X(space.StartPfn);
        group.Add(Line(start, y - 8, start, y + BarHeight, "#6c3483"));
        group.Add(Text(start, y - 11, $"start_pfn {space.StartPfn}", ("fill", "#6c3483"), ("font-size", "11"), ("text-anchor", start > boundary - 120 ? "end" : "start")));
        double top48 = Math.Pow(2, 48) / axis.Granule;
        double top48X = axis.X(top48);
        group.Add(Line(top48X, y - 8, top48X, y + BarHeight, "#1e8449", dashed: true));
        group.Add(Text(top48X, y - 24, "48-bit top", ("fill", "#1e8449"), ("font-size", "11"), ("text-anchor", top48 >= axis.TopPfn ? "end" : "middle")));
        if (top48 < axis.TopPfn)
        {
            group.Add(Text(axis.Right, y - 24, $"top {Units.Bytes(axis.TopPfn * axis.Granule)}", ("text-anchor", "end"), ("font-size", "11")));
        }

        return group;
    }

    private static XElement CloseUpAxis(SpaceSnapshot space, IovaRange closeUp, Func<UInt128, double> x, double y, int number)
    {
        var group = new XElement(s_svg + "g", new XAttribute("id", $"close-up-{number}-axis"));
        double bottom = y + BarHeight;
        const int Ticks = 4;
        UInt128 previous = UInt128.MaxValue;
        for (int i = 0; i <= Ticks; i++)
        {
            // Pfn boundaries, exact (a double loses the low digits of pfns above 2^53); the last is one past the end.
            UInt128 pfn = closeUp.PfnLo + (UInt128)closeUp.Size * (uint)i / Ticks;
            if (pfn == previous)
            {
                continue;
            }

            previous = pfn;
            double tickX = x(pfn);
            string anchor = i == 0 ? "start" : i == Ticks ? "end" : "middle";
            string address = (pfn * space.Granule).ToString("x", CultureInfo.InvariantCulture);
            group.Add(Line(tickX, bottom, tickX, bottom + 5, "#444"));
            group.Add(Text(tickX, bottom + 17, $"pfn {pfn}", ("text-anchor", anchor), ("font-size", "11")));
            group.Add(Text(tickX, bottom + 30, $"0x{address}", ("text-anchor", anchor), ("font-size", "11"), ("fill", "#555")));
        }

        if (space.StartPfn >= closeUp.PfnLo && space.StartPfn <= closeUp.PfnHi)
        {
            double start = x(space.StartPfn);
            group.Add(Line(start, y - 8, start, y + BarHeight, "#6c3483"));
            group.Add(Text(start, y - 11, $"start_pfn {space.StartPfn}", ("fill", "#6c3483"), ("font-size", "11"), ("text-anchor", start < Width / 2 ? "start" : "end")));
        }

        if (space.Dma32Pfn > closeUp.PfnLo && space.Dma32Pfn <= closeUp.PfnHi)
        {
            double boundary = x(space.Dma32Pfn);
            group.Add(Line(boundary, y - 8, boundary, y + BarHeight, "#c0392b", dashed: true));
            group.Add(Text(boundary, y - 24, "4 GiB", ("fill", "#c0392b"), ("font-size", "11"), ("text-anchor", "middle")));
        }

        return group;
    }

    private static XElement Legend(double y, bool withQueued)
    {
        var group = new XElement(s_svg + "g", new XAttribute("id", "legend"));
        (string Colour, string Label)[] entries =
        [
            (LiveColour, "live (allocated)"),
            (CachedColour, "cached (allocated, parked in a range cache)"),
            .. withQueued ? [(QueuedColour, "queued (unmapped, awaiting an IOTLB flush)")] : Array.Empty<(string, string)>(),
            (FreeColour, "free, inside the window"),
            (BeyondColour, "free, above every limit asked for"),
            (BelowStartColour, "below start_pfn"),
        ];
        double x = Margin;
        foreach (var (colour, label) in entries)
        {
            group.Add(Rect(x, y, 14, 14, colour, null, stroke: true));
            group.Add(Text(x + 20, y + 11.5, label));
            x += 30 + label.Length * 6.4;
        }

        return group;
    }

    private static XElement Rect(double x, double y, double width, double height, string fill, string? kind, bool stroke = false)
    {
        var rect = new XElement(
            s_svg + "rect",
            new XAttribute("x", Number(x)),
            new XAttribute("y", Number(y)),
            new XAttribute("width", Number(width)),
            new XAttribute("height", Number(height)),
            new XAttribute("fill", fill));
        if (kind is not null)
        {
            rect.Add(new XAttribute("class", kind));
        }

        if (stroke)
        {
            rect.Add(new XAttribute("stroke", "#444"));
        }

        return rect;
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string colour, bool dashed = false)
    {
        var line = new XElement(
            s_svg + "line",
            new XAttribute("x1", Number(x1)),
            new XAttribute("y1", Number(y1)),
            new XAttribute("x2", Number(x2)),
            new XAttribute("y2", Number(y2)),
            new XAttribute("stroke", colour),
            new XAttribute("stroke-width", dashed ? "1.5" : "1"));
        if (dashed)
        {
            line.Add(new XAttribute("stroke-dasharray", "5 3"));
        }

        return line;
    }

    private static XElement Text(double x, double y, string text, params (string Name, string Value)[] attributes)
    {
        var element = new XElement(s_svg + "text", new XAttribute("x", Number(x)), new XAttribute("y", Number(y)), text);
        foreach (var (name, value) in attributes)
        {
            element.Add(new XAttribute(name, value));
        }

        return element;
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
