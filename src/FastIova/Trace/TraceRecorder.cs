using System.Buffers;
using System.Globalization;
using System.Text;

namespace FastIova.Trace;

/// <summary>
/// Records every operation of a domain, with its result, in the trace format, so that <c>fastiova replay</c> reproduces
/// it exactly. Attach it with <see cref="IovaDomainOptions.Recorder"/> or <see cref="Dma.DmaDomainOptions.Recorder"/>; it
/// writes the <c>domain</c> or <c>dma_domain</c> line when the domain is created. One domain at a time per recorder.
/// </summary>
/// <remarks>
/// While recording, a domain runs each operation and writes its line under one lock, so the file's order is the order
/// in which operations took effect. Fast-path calls made through the per-thread API run on the simulated CPU of the
/// processor the thread is on (as a kernel task uses its CPU's cache) and are recorded with a <c>cpu</c> line.
/// Recording therefore serializes the domain; with no recorder attached it costs one null check per call.
/// A DMA domain records its own operations (<c>map</c>, <c>unmap</c>, ...) and the IOVA operations called on its
/// <see cref="Dma.DmaDomain.Iova"/>, in one order, but not the IOVA operations it performs for a map or an unmap: its
/// own line replays those.
/// </remarks>
public sealed class TraceRecorder : IDisposable
{
    private const int KernelMagazineSize = 127;
    private const int KernelSizeClasses = 6;

    // Lines up to this long are built on the stack; longer ones (scatter lists) in a pooled array.
    private const int StackLineLength = 256;

    private readonly TraceWriter _writer;
    private readonly StringBuilder _held = new();
    private int _currentCpu;
    private int _holding;
    private bool _keepHeld;

    /// <summary>Records to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where the trace goes.</param>
    /// <param name="ownsWriter">Whether <see cref="Dispose"/> disposes <paramref name="writer"/>.</param>
    public TraceRecorder(TextWriter writer, bool ownsWriter = false) => _writer = new TraceWriter(writer, ownsWriter);

    /// <summary>Records to a new file at <paramref name="path"/> (replaced if it exists).</summary>
    /// <param name="path">The trace file to write.</param>
    /// <returns>A recorder that owns the file.</returns>
    public static TraceRecorder ToFile(string path) => new(new StreamWriter(path, append: false), ownsWriter: true);

    /// <summary>The lock under which a recording domain runs and records each operation.</summary>
    internal object Gate { get; } = new();

    /// <summary>Writes a comment line (for example, what the following section exercises).</summary>
    /// <param name="comment">One line of text.</param>
    public void Comment(string comment)
    {
        lock (Gate)
            _writer.WriteComment(comment);
    }

    /// <summary>Flushes what has been recorded to the underlying writer.</summary>
    public void Flush()
    {
        lock (Gate)
            _writer.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (Gate)
            _writer.Dispose();
    }

    /// <summary>
    /// Writes the <c>domain</c> line. The format carries only the granule, the start pfn and the CPU count, so a domain
    /// whose caches differ from the kernel's (127-pfn magazines, 6 size classes) would record a trace that replays
    /// differently: refused.
    /// </summary>
    internal void Domain(ulong granule, ulong startPfn, IovaDomainOptions options)
    {
        int cpuCount = options.CpuCount;
        if (cpuCount > TraceSyntax.RecordedCpuCount)
            throw new ArgumentOutOfRangeException("options", cpuCount, $"A recorded domain can have at most {TraceSyntax.RecordedCpuCount} CPUs (the trace format's limit).");
        if (options.MagazineSize != KernelMagazineSize || options.SizeClasses != KernelSizeClasses)
            throw new ArgumentOutOfRangeException("options", $"A recorded domain must use the kernel's caches ({KernelMagazineSize}-pfn magazines, {KernelSizeClasses} size classes): the trace format cannot say otherwise.");
        lock (Gate)
        {
            _currentCpu = 0;
            Write(TraceOpCode.Domain, TraceResult.Ok, granule, startPfn, (ulong)cpuCount);
        }
    }

    /// <summary>Writes a <c>cpu</c> line if the next fast-path operation runs on another CPU. Call under <see cref="Gate"/>.</summary>
    internal void SelectCpu(int cpu)
    {
        // Inside a held operation the CPU is the one its own recorded line selected.
        if (cpu == _currentCpu || _holding > 0)
            return;
        _currentCpu = cpu;
        Write(TraceOpCode.Cpu, TraceResult.Ok, (ulong)cpu);
    }

    /// <summary>Writes one operation line. Call under <see cref="Gate"/>.</summary>
    internal void Write(TraceOpCode op, TraceResult result, params ReadOnlySpan<ulong> arguments) =>
        Write(op, result, hexArguments: 0, arguments);

    /// <summary>
    /// Writes one operation line, the arguments whose bit is set in <paramref name="hexArguments"/> in hex (masks,
    /// physical addresses) and a <c>dma_domain</c>'s mode as its word. While an operation is held
    /// (<see cref="Hold"/>), the line is kept back instead. Call under <see cref="Gate"/>.
    /// </summary>
    internal void Write(TraceOpCode op, TraceResult result, ulong hexArguments, ReadOnlySpan<ulong> arguments)
    {
        if (_holding > 0 && !_keepHeld)
            return;

        // A map_sg line has up to 259 arguments and 128 addresses (about 8,000 characters): those lines go to a pooled
        // buffer, the common short ones stay on the stack.
        int resultLength = result.Kind == TraceResultKind.AddressList ? result.Addresses.Length * 21 : 2 * 21;
        int capacity = 16 + arguments.Length * 23 + 4 + resultLength;
        char[]? rented = capacity > StackLineLength ? ArrayPool<char>.Shared.Rent(capacity) : null;
        Span<char> line = rented ?? stackalloc char[StackLineLength];
        try
        {
            var builder = new SpanLine(line);
            builder.Append(TraceSyntax.NameOf(op));
            for (int i = 0; i < arguments.Length; i++)
            {
                builder.Append(" ");
                if (op == TraceOpCode.DmaDomain && i == 4)
                    builder.Append(TraceSyntax.NameOf((Dma.DmaUnmapMode)arguments[i]));
                else
                    builder.Append(arguments[i], hex: i < 64 && (hexArguments >> i & 1) != 0);
            }

            builder.Append(" => ");
            result.TryFormat(line[builder.Length..], out int written);
            ReadOnlySpan<char> text = line[..(builder.Length + written)];
            if (_holding > 0)
                _held.Append(text).Append('\n');
            else
                _writer.WriteRaw(text);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Holds back the lines written from now on: a DMA operation runs IOVA operations of its own, which the trace must
    /// not show as separate lines (its own line replays them). Nests. Call under <see cref="Gate"/>.
    /// </summary>
    /// <param name="mayKeep">Keep the held lines until <see cref="Release"/> decides (else they are dropped as written).</param>
    internal void Hold(bool mayKeep = false)
    {
        if (_holding++ == 0)
            _keepHeld = mayKeep;
    }

    /// <summary>
    /// Ends a <see cref="Hold"/>. The outermost one discards the held lines, or writes them after
    /// <paramref name="comment"/> when <paramref name="keep"/> is set (for an operation the format cannot name, recorded
    /// as the IOVA operations it did). Call under <see cref="Gate"/>.
    /// </summary>
    internal void Release(bool keep = false, string? comment = null)
    {
        if (--_holding > 0)
            return;
        if (keep)
        {
            if (comment is not null)
                _writer.WriteComment(comment);
            // Rare (a refused coherent or scatter-list map): a string is fine here.
            foreach (string line in _held.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                _writer.WriteRaw(line);
        }

        _held.Clear();
    }

    /// <summary>
    /// Refuses a DMA domain the trace format cannot describe: more than 64 CPUs, a granule outside 512..4096, or work
    /// that happens outside the recorded calls (a real flush timer, the background depot trim), which no line would
    /// replay.
    /// </summary>
    internal static void RequireRecordable(Dma.DmaDomainOptions options)
    {
        if (options.CpuCount > TraceSyntax.RecordedCpuCount)
            throw new ArgumentOutOfRangeException("options", options.CpuCount, $"A recorded DMA domain can have at most {TraceSyntax.RecordedCpuCount} CPUs (the trace format's limit).");
        if (options.Granule > TraceSyntax.MaxGranule)
            throw new ArgumentOutOfRangeException("options", options.Granule, $"A recorded DMA domain's granule is at most {TraceSyntax.MaxGranule} (the trace format's limit).");
        if (!options.SimulatedTimer)
            throw new ArgumentOutOfRangeException("options", "A recorded DMA domain needs SimulatedTimer: a real timer's flushes happen outside any recorded call. Fire the timer with FireFlushTimer.");
        if (options.DepotTrimInterval != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException("options", options.DepotTrimInterval, "A recorded DMA domain needs DepotTrimInterval = Timeout.InfiniteTimeSpan: background trims would not be recorded.");
    }

    /// <summary>Writes the <c>dma_domain</c> line; the current CPU is 0 again. Call under <see cref="Gate"/>.</summary>
    internal void DmaDomain(ulong granule, ulong apertureStart, ulong apertureEnd, int cpuCount, Dma.DmaUnmapMode mode)
    {
        _currentCpu = 0;
        Write(TraceOpCode.DmaDomain, TraceResult.Ok, hexArguments: 0b110, [granule, apertureStart, apertureEnd, (ulong)cpuCount, (ulong)mode]);
    }

    private ref struct SpanLine(Span<char> buffer)
    {
        private readonly Span<char> _buffer = buffer;

        public int Length { get; private set; }

        public void Append(string text)
        {
            text.AsSpan().CopyTo(_buffer[Length..]);
            Length += text.Length;
        }

        public void Append(ulong value, bool hex = false)
        {
            if (hex)
                Append("0x");
            value.TryFormat(_buffer[Length..], out int written, hex ? "x" : default, CultureInfo.InvariantCulture);
            Length += written;
        }
    }
}
