using Digits.Core.Data;

namespace Digits.Imaging;

/// <summary>
/// Netpbm gray and bitmap images (netpbm.sourceforge.net/doc): PGM as P2 (text) or P5 (binary, maxval up to
/// 65535, two bytes big-endian per sample above 255) and PBM as P1 (text) or P4 (packed bits, rows padded to a
/// byte; 1 is black). '#' comments run to the end of the line in the header (and, for P1/P2, anywhere).
/// Every malformed input gives a <see cref="DataFormatException"/> naming the file.
/// </summary>
public static class PnmDecoder
{
    /// <summary>Reads and decodes the PGM/PBM file at <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">not a well-formed PGM or PBM.</exception>
    /// <exception cref="IOException">unreadable.</exception>
    public static GrayImage Decode(string path) => Decode(ImageLimits.ReadFile(path), path);

    /// <summary>Decodes PGM/PBM bytes, full size; <paramref name="name"/> names the source in error messages.</summary>
    /// <exception cref="DataFormatException">not a well-formed PGM or PBM.</exception>
    public static GrayImage Decode(ReadOnlySpan<byte> file, string name) => Decode(file, name, int.MaxValue);

    /// <summary>Decodes PGM/PBM bytes shrunk to at most <paramref name="maxSide"/> pixels a side
    /// (<see cref="Resampling.ShrinkToFit"/>): the samples are read row by row from the file's bytes, so the
    /// full-size picture is never held as floats.</summary>
    /// <exception cref="DataFormatException">not a well-formed PGM or PBM.</exception>
    public static GrayImage Decode(ReadOnlySpan<byte> file, string name, int maxSide)
    {
        if (file.Length < 2 || file[0] != 'P' || file[1] is not ((byte)'1' or (byte)'2' or (byte)'4' or (byte)'5'))
            throw new DataFormatException(name, "not a PGM or PBM file (expected P1, P2, P4 or P5)");
        char kind = (char)file[1];
        bool bitmap = kind is '1' or '4';
        int at = 2;
        long width = Number(file, ref at, name, "width"), height = Number(file, ref at, name, "height");
        ImageLimits.Check(name, width, height);
        long maxval = bitmap ? 1 : Number(file, ref at, name, "maxval");
        if (maxval is < 1 or > 65535) throw new DataFormatException(name, $"maxval {maxval} is not in 1..65535");
        int w = (int)width, h = (int)height;
        long count = width * height;
        // Allocate only once the file has shown it can hold the pixels (a text sample takes at least one byte).
        if (kind is '4' or '5')
        {
            at = DataStart(file, at, name);
            long rowBytes = (w + 7) / 8, sampleBytes = maxval > 255 ? 2 : 1, left = file.Length - at;
            if (left < (kind == '4' ? rowBytes * h : sampleBytes * count))
                throw Truncated(name, kind == '4' ? left / rowBytes * w : left / sampleBytes, count);
        }
        else if (file.Length - at < count)
            throw new DataFormatException(name, $"truncated: the {file.Length - at:N0} bytes after the header cannot " +
                                                $"hold the {count:N0} pixels of a {w}×{h} image");
        return kind switch
        {
            '1' or '2' => Resampling.ShrinkToFit(new TextRows(file, at, name, w, count, bitmap, maxval), w, h, maxSide),
            '4' => Resampling.ShrinkToFit(new PackedBitRows(file[at..]), w, h, maxSide),
            _ => Resampling.ShrinkToFit(new SampleRows(file[at..], name, w, maxval), w, h, maxSide),
        };
    }

    /// <summary>P1 bits or P2 numbers, separated by whitespace and comments, read in order.</summary>
    private ref struct TextRows(ReadOnlySpan<byte> file, int at, string name, int w, long count, bool bitmap, long maxval)
        : IRowSource
    {
        private readonly ReadOnlySpan<byte> _file = file;
        private int _at = at;

        public void Read(int y, Span<float> row)
        {
            for (int x = 0; x < row.Length; x++)
            {
                int i = y * w + x;
                SkipSpace(_file, ref _at);
                if (_at >= _file.Length) throw Truncated(name, i, count);
                if (bitmap)
                {
                    byte c = _file[_at++];
                    if (c is not ((byte)'0' or (byte)'1')) throw new DataFormatException(name, $"byte {_at - 1}: '{(char)c}' is not a P1 bit");
                    row[x] = c == '1' ? 0f : 1f;
                }
                else row[x] = Level(Number(_file, ref _at, name, $"pixel {i}"), maxval, name, i);
            }
        }
    }

    /// <summary>P4: rows of packed bits, each padded to a byte; 1 is black.</summary>
    private readonly ref struct PackedBitRows(ReadOnlySpan<byte> data) : IRowSource
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public void Read(int y, Span<float> row)
        {
            int rowBytes = (row.Length + 7) / 8;
            var bits = _data.Slice(y * rowBytes, rowBytes);
            for (int x = 0; x < row.Length; x++) row[x] = (bits[x / 8] >> (7 - x % 8) & 1) == 1 ? 0f : 1f;
        }
    }

    /// <summary>P5: one byte per sample, or two (big-endian) when maxval is above 255.</summary>
    private readonly ref struct SampleRows(ReadOnlySpan<byte> data, string name, int w, long maxval) : IRowSource
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public void Read(int y, Span<float> row)
        {
            for (int x = 0; x < row.Length; x++)
            {
                int i = y * w + x;
                int v = maxval > 255 ? _data[2 * i] << 8 | _data[2 * i + 1] : _data[i];
                row[x] = Level(v, maxval, name, i);
            }
        }
    }

    private static float Level(long v, long maxval, string name, int i) =>
        v <= maxval ? (float)v / maxval : throw new DataFormatException(name, $"pixel {i} is {v}, above maxval {maxval}");

    private static DataFormatException Truncated(string name, long got, long need) =>
        new(name, $"truncated: {got:N0} of {need:N0} pixels present");

    /// <summary>Binary data starts after exactly one whitespace byte following the last header number.</summary>
    private static int DataStart(ReadOnlySpan<byte> file, int at, string name)
    {
        if (at >= file.Length || !IsSpace(file[at])) throw new DataFormatException(name, "truncated: no pixel data after the header");
        return at + 1;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;

    private static void SkipSpace(ReadOnlySpan<byte> file, ref int at)
    {
        while (at < file.Length)
        {
            if (IsSpace(file[at])) at++;
            else if (file[at] == '#') while (at < file.Length && file[at] != '\n' && file[at] != '\r') at++;
            else break;
        }
    }

    private static long Number(ReadOnlySpan<byte> file, ref int at, string name, string what)
    {
        SkipSpace(file, ref at);
        if (at >= file.Length) throw new DataFormatException(name, $"truncated: the file ends before the {what}");
        long value = 0;
        int start = at;
        while (at < file.Length && file[at] is >= (byte)'0' and <= (byte)'9')
        {
            value = value * 10 + (file[at++] - '0');
            if (value > 1_000_000_000) throw new DataFormatException(name, $"byte {start}: {what} is absurdly large");
        }
        if (at == start) throw new DataFormatException(name, $"byte {start}: {what} is not a number ('{(char)file[start]}')");
        if (at < file.Length && !IsSpace(file[at]) && file[at] != '#')
            throw new DataFormatException(name, $"byte {at}: {what} is followed by '{(char)file[at]}'");
        return value;
    }
}
