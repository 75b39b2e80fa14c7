using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace FastIova.Trace;

/// <summary>
/// Decompresses a gzip file and, at its end, checks the trailer's CRC-32 and length against what was decompressed.
/// <see cref="GZipStream"/> alone ends quietly at the last complete block of a file cut short, so a recording cut by a
/// crash would replay as a shorter, conforming trace; this stream throws <see cref="InvalidDataException"/> instead.
/// </summary>
/// <remarks>
/// The trailer is read from the last 8 bytes of the file before decompression starts (the source must seek). A file of
/// several concatenated gzip members is refused unless its last member's trailer describes the whole content, which
/// only a single member does; the traces are single-member files.
/// </remarks>
internal sealed class CheckedGZipStream : Stream
{
    private readonly GZipStream _inflater;
    private readonly Crc32 _crc = new();
    private readonly uint _expectedCrc;
    private readonly uint _expectedLength;
    private ulong _length;
    private bool _verified;

    /// <summary>Starts decompressing <paramref name="source"/> from its current position, which must be the gzip header.</summary>
    public CheckedGZipStream(Stream source)
    {
        long start = source.Position;
        if (source.Length - start < 18)
        {
            throw new InvalidDataException($"the gzip file is {source.Length - start} bytes long, shorter than a header and trailer");
        }

        Span<byte> trailer = stackalloc byte[8];
        source.Position = source.Length - 8;
        source.ReadExactly(trailer);
        source.Position = start;
        _expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        _expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        _inflater = new GZipStream(source, CompressionMode.Decompress);
    }

    /// <summary>Bytes decompressed so far.</summary>
    public ulong DecompressedLength => _length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => (long)_length;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = _inflater.Read(buffer);
        if (read > 0)
        {
            _crc.Append(buffer[..read]);
            _length += (ulong)read;
        }
        else if (buffer.Length > 0 && !_verified)
        {
            Verify();
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inflater.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Verify()
    {
        _verified = true;
        uint crc = _crc.GetCurrentHashAsUInt32();
        if ((uint)_length != _expectedLength || crc != _expectedCrc)
        {
            throw new InvalidDataException(
                $"the compressed data ends after {_length} bytes without its gzip trailer (length {_expectedLength}, "
                + $"CRC {_expectedCrc:x8}; got CRC {crc:x8}): the file is truncated or corrupt");
        }
    }
}
