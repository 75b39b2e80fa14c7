using System.Globalization;

namespace FastIova.Trace;

/// <summary>
/// Records every operation of a domain, with its result, in the trace format, so that <c>fastiova replay</c> reproduces
/// it exactly. Attach it with <see cref="IovaDomainOptions.Recorder"/>; it writes the <c>domain</c> line when the domain
/// is created. One domain at a time per recorder.
/// </summary>
/// <remarks>
/// While recording, a domain runs each operation and writes its line under one lock, so the file's order is the order
/// in which operations took effect. Fast-path calls made through the per-thread API run on the simulated CPU of the
/// processor the thread is on (as a kernel task uses its CPU's cache) and are recorded with a <c>cpu</c> line.
/// Recording therefore serializes the domain; with no recorder attached it costs one null check per call.
/// </remarks>
public sealed class TraceRecorder : IDisposable
{
    private readonly TraceWriter _writer;
    private int _currentCpu;

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

    internal void Domain(ulong granule, ulong startPfn, int cpuCount)
    {
        if (cpuCount > TraceSyntax.RecordedCpuCount)
            throw new ArgumentOutOfRangeException("options", cpuCount, $"A recorded domain can have at most {TraceSyntax.RecordedCpuCount} CPUs (the trace format's limit).");
        lock (Gate)
        {
            _currentCpu = 0;
            Write(TraceOpCode.Domain, TraceResult.Ok, granule, startPfn, (ulong)cpuCount);
        }
    }

    /// <summary>Writes a <c>cpu</c> line if the next fast-path operation runs on another CPU. Call under <see cref="Gate"/>.</summary>
    internal void SelectCpu(int cpu)
    {
        if (cpu == _currentCpu)
            return;
        _currentCpu = cpu;
        Write(TraceOpCode.Cpu, TraceResult.Ok, (ulong)cpu);
    }

    /// <summary>Writes one operation line. Call under <see cref="Gate"/>.</summary>
    internal void Write(TraceOpCode op, TraceResult result, params ReadOnlySpan<ulong> arguments)
    {
        Span<char> line = stackalloc char[16 + 21 * 3 + 4 + TraceResult.MaxFormattedLength];
        var builder = new SpanLine(line);
        builder.Append(TraceSyntax.NameOf(op));
        foreach (ulong argument in arguments)
        {
            builder.Append(" ");
            builder.Append(argument);
        }

        builder.Append(" => ");
        result.TryFormat(line[builder.Length..], out int written);
        _writer.WriteRaw(line[..(builder.Length + written)]);
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

        public void Append(ulong value)
        {
            value.TryFormat(_buffer[Length..], out int written, default, CultureInfo.InvariantCulture);
            Length += written;
        }
    }
}
