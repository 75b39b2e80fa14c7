using FastIova.Trace;
using Spectre.Console;

namespace FastIova.Cli;

/// <summary>
/// Replays one trace file behind a Spectre.Console progress bar that follows how much of the file has been read.
/// Shown only for long files and only when standard error is a terminal, so redirected runs (CI) stay plain.
/// </summary>
internal static class ReplayProgress
{
    /// <summary>Files at least this long get a progress bar (smaller ones replay in well under a second).</summary>
    public const long MinimumLength = 1 << 20;

    /// <summary>Whether <paramref name="file"/> deserves a progress bar on <paramref name="error"/>.</summary>
    public static bool ShouldShow(string file, TextWriter error)
    {
        if (!Inspection.AnsiConsoles.IsErrorTerminal(error))
        {
            return false;
        }

        try
        {
            return new FileInfo(file).Length >= MinimumLength;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Replays <paramref name="file"/>, showing progress on <paramref name="console"/>.</summary>
    /// <exception cref="TraceFormatException">A line is malformed.</exception>
    public static TraceReplayResult Replay(string file, int maxRecordedMismatches, IAnsiConsole console)
    {
        return console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var stream = new ReadCountingStream(File.OpenRead(file));
                var task = context.AddTask(Markup.Escape(Path.GetFileName(file)), maxValue: Math.Max(1, stream.Length));
                stream.BytesRead = read => task.Value = read;
                using var reader = TraceReader.Open(stream, file);
                using var replayer = new TraceReplayer(maxRecordedMismatches);
                var result = replayer.Replay(reader);
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>A read-only stream that reports the position reached after each read.</summary>
    private sealed class ReadCountingStream(Stream inner) : Stream
    {
        public Action<long>? BytesRead { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => Report(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Report(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Report(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Report(int read)
        {
            BytesRead?.Invoke(inner.Position);
            return read;
        }
    }
}
