using System.CommandLine;
using System.Xml;
using FastIova.Cli.Inspection;

namespace FastIova.Cli;

/// <summary><c>fastiova map TRACE --svg FILE [--at OP]</c>: replays a trace and draws its IOVA space as SVG.</summary>
internal sealed class MapCommand : Command
{
    private readonly Argument<string> _file = new("trace")
    {
        Description = "A trace file (.trace or .trace.gz).",
    };

    private readonly Option<string> _svg = new("--svg")
    {
        Description = "The SVG file to write (replaced if it exists).",
        Required = true,
    };

    private readonly Option<long?> _at = new("--at")
    {
        Description = "Draw the space after this many operations (1-based; comments and blank lines do not count). Default: the end.",
    };

    /// <summary>Builds the command.</summary>
    public MapCommand()
        : base("map", "Replay a trace and draw its IOVA space as SVG: live, cached, queued (DMA: unmapped, awaiting an IOTLB flush) and free regions along the address axis " +
            "(linear up to 4 GiB, logarithmic above), close-ups of the two busiest stretches, the figures of 'stats' and a legend. " +
            "Draws the domain current at the chosen op. " + ExitCodes.InspectDescription)
    {
        Add(_file);
        Add(_svg);
        Add(_at);
        _at.Validators.Add(OperationNumber.Validate);
        SetAction(parse => Run(
            parse.GetRequiredValue(_file),
            parse.GetRequiredValue(_svg),
            parse.GetValue(_at),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
    }

    /// <summary>Replays the trace and writes the SVG.</summary>
    /// <returns>An <see cref="ExitCodes"/> value.</returns>
    internal static int Run(string file, string svgPath, long? at, TextWriter output, TextWriter error)
    {
        if (!InspectedTrace.TryReplay(file, at, error, out var inspector))
        {
            return ExitCodes.BadTrace;
        }

        using (inspector)
        {
            var space = inspector.Snapshot();
            string title = $"{Path.GetFileName(file)} after op {inspector.Operations} (domain of line {space.Activity.DomainLine})";
            var document = SpaceMapSvg.Render(space, title);
            try
            {
                using var writer = XmlWriter.Create(svgPath, new XmlWriterSettings { Indent = true });
                document.Save(writer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"{svgPath}: cannot write: {e.Message}");
                return ExitCodes.BadTrace;
            }

            string queued = space.Dma is null ? "" : $", {space.Queued.Length} queued";
            output.WriteLine($"{svgPath}: {space.Ranges.Length} ranges ({space.Cached.Length} cached{queued}) after op {inspector.Operations}, {inspector.Mismatches} mismatches");
            return inspector.Mismatches == 0 ? ExitCodes.Success : ExitCodes.Mismatch;
        }
    }
}
