namespace FastIova.Trace;

/// <summary>
/// Writes trace lines in the recorded form: an operation line is its op text, <c> =&gt; </c>, and the result; comments
/// and blank lines are written as they are. Used to record traces and to echo replayed ones.
/// </summary>
public sealed class TraceWriter : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;

    /// <summary>Writes to a text writer.</summary>
    /// <param name="writer">The destination.</param>
    /// <param name="ownsWriter">Whether <see cref="Dispose"/> disposes <paramref name="writer"/>.</param>
    public TraceWriter(TextWriter writer, bool ownsWriter = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _ownsWriter = ownsWriter;
    }

    /// <summary>Writes <c>OP ARGS =&gt; RESULT</c>, keeping the op text as it was written.</summary>
    /// <param name="operation">The operation (its recorded result, if any, is not written).</param>
    /// <param name="result">The result to record.</param>
    public void WriteOperation(in TraceOperation operation, TraceResult result)
    {
        Span<char> text = stackalloc char[TraceResult.MaxFormattedLength];
        result.TryFormat(text, out int written);
        _writer.Write(operation.Text.Span);
        _writer.Write(" => ");
        _writer.Write(text[..written]);
        _writer.WriteLine();
    }

    /// <summary>Writes an op line without a result, for a trace that is to be recorded later.</summary>
    /// <param name="operation">The operation.</param>
    public void WriteOperation(in TraceOperation operation)
    {
        _writer.Write(operation.Text.Span);
        _writer.WriteLine();
    }

    /// <summary>Writes one already formatted line.</summary>
    internal void WriteRaw(ReadOnlySpan<char> line)
    {
        _writer.Write(line);
        _writer.WriteLine();
    }

    /// <summary>Writes a comment line, adding the <c>#</c> unless <paramref name="comment"/> starts with one.</summary>
    /// <param name="comment">The comment text, single line.</param>
    public void WriteComment(string comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        if (comment.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("A comment is one line.", nameof(comment));
        }

        _writer.WriteLine(comment.StartsWith('#') ? comment : "# " + comment);
    }

    /// <summary>Writes an empty line.</summary>
    public void WriteBlankLine() => _writer.WriteLine();

    /// <summary>Flushes the underlying writer.</summary>
    public void Flush() => _writer.Flush();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsWriter)
        {
            _writer.Dispose();
        }
        else
        {
            _writer.Flush();
        }
    }
}
