using System.Buffers.Binary;
using System.IO.Compression;

namespace Digits.Core.Data;

/// <summary>
/// The byte source under <see cref="IdxReader"/>: a seekable stream, transparently gunzipped when it starts with the
/// gzip magic 0x1f 0x8b, read with bounds checks. Errors name the source and say whether the count is of the file's
/// bytes or of the decompressed data.
/// </summary>
internal sealed class IdxInput : IDisposable
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Deflate emits at most 258 bytes per 2 bits of input (Mark Adler's zlib FAQ: 1032:1 at best).</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>Trailing bytes are counted up to this many, then reported as "at least".</summary>
    private const long TrailingCountCap = 64L << 20;

    private readonly Stream _source;
    private readonly GZipStream? _gzip;
    private readonly long _storedBytes; // bytes of the underlying stream from where reading started
    private readonly string _name;
    private long _consumed; // bytes delivered by _source so far

    /// <exception cref="ArgumentException">the stream is not readable and seekable.</exception>
    public IdxInput(Stream stream, string name)
    {
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("IdxReader needs a readable, seekable stream (a file or a MemoryStream)",
                nameof(stream));
        _name = name;
        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int got = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        _storedBytes = stream.Length - start;
        if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            _source = _gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        else
            _source = stream;
    }

    private string Holder => _gzip is null ? "the file" : "the decompressed data";

    public DataFormatException Error(string problem, Exception? inner = null) => new(_name, problem, inner);

    /// <summary>Fills <paramref name="header"/>, checking its first four bytes (big-endian) are
    /// <paramref name="magic"/> as soon as they are read, or throws: wrong magic, or the source ends inside the
    /// header. <paramref name="what"/> names the content ("images", "labels").</summary>
    public void ReadHeader(Span<byte> header, uint magic, string what)
    {
        int got = Fill(header[..4]);
        if (got == 4 && BinaryPrimitives.ReadUInt32BigEndian(header) != magic)
            throw Error(WrongMagic(BinaryPrimitives.ReadUInt32BigEndian(header), magic, what));
        if (got == 4) got += Fill(header[4..]);
        if (got == header.Length) return;
        throw Error(got == 0
            ? $"{Holder} is empty; expected a {header.Length}-byte IDX {what} header"
            : $"{Holder} ends after {got} bytes, inside the {header.Length}-byte IDX {what} header");
    }

    private static string WrongMagic(uint magic, uint expected, string what)
    {
        uint type = (magic >> 8) & 0xFF, dims = magic & 0xFF, expectedDims = expected & 0xFF;
        string hint = (magic >> 16) != 0 ? "not an IDX file (IDX files start with two zero bytes)"
            : type != 0x08 ? $"IDX element type 0x{type:X2}, not unsigned bytes (0x08)"
            : $"{dims} dimension(s), not {expectedDims}" + (dims == 1 ? " — this looks like a labels file"
                : dims == 3 ? " — this looks like an images file" : "");
        return $"magic number 0x{magic:X8} is not 0x{expected:X8} (IDX {what}): {hint}";
    }

    /// <summary>Reads exactly <paramref name="bytes"/> payload bytes (in chunks of at most 1 MiB) and then requires
    /// the end of the data. <paramref name="claim"/> describes the header's claim for messages ("60000 images of
    /// 28×28 (47040000 bytes)"). Allocates no more than the bytes actually present plus one chunk.</summary>
    public List<byte[]> ReadPayload(long bytes, string claim)
    {
        if (_gzip is null)
        {
            long after = _storedBytes - _consumed;
            if (after < bytes)
                throw Error($"header claims {claim} but the file holds only {after} bytes after the header");
            if (after > bytes) throw Error(Trailing(after - bytes, bytes, false));
        }
        else if (_consumed + bytes > _storedBytes * MaxDeflateRatio)
        {
            throw Error($"header claims {claim} but a {_storedBytes}-byte gzip file cannot hold more than " +
                $"{_storedBytes * MaxDeflateRatio} bytes (deflate expands at most {MaxDeflateRatio}:1)");
        }
        var chunks = new List<byte[]>();
        for (long done = 0; done < bytes;)
        {
            var chunk = new byte[(int)Math.Min(ChunkBytes, bytes - done)];
            int got = Fill(chunk);
            done += got;
            if (got < chunk.Length)
                throw Error($"header claims {claim} but {Holder} holds only {done} bytes after the header");
            chunks.Add(chunk);
        }
        RejectTrailing(bytes);
        return chunks;
    }

    private void RejectTrailing(long payload)
    {
        var scratch = new byte[4096];
        long extra = 0;
        for (int got; extra < TrailingCountCap && (got = Fill(scratch)) > 0;) extra += got;
        if (extra > 0) throw Error(Trailing(extra, payload, extra >= TrailingCountCap));
    }

    private string Trailing(long extra, long payload, bool capped) =>
        $"{Holder} holds {(capped ? "at least " : "")}{extra} bytes after the {payload}-byte payload the header " +
        "announces (trailing garbage, or a header count that is too small)";

    /// <summary>Reads until <paramref name="buffer"/> is full or the data ends; returns the bytes read.</summary>
    private int Fill(Span<byte> buffer)
    {
        try
        {
            int got = _source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            _consumed += got;
            return got;
        }
        catch (InvalidDataException ex)
        {
            throw Error($"not valid gzip data after {_consumed} decompressed bytes ({ex.Message})", ex);
        }
    }

    public void Dispose() => _gzip?.Dispose();
}
