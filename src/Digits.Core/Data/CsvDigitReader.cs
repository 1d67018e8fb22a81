using System.Runtime.CompilerServices;
using System.Text;
using Digits.Core.Files;

namespace Digits.Core.Data;

/// <summary>
/// Reads the Kaggle "Digit Recognizer" CSV layout: a header <c>label,pixel0,…,pixel783</c> (training file) or
/// <c>pixel0,…,pixel783</c> (test file without labels), then one 28×28 image per row, row-major, each cell an integer
/// 0–255 (pixels) or 0–9 (label, or below the class count). Pixels become float32 = value/255 in [0, 1].
/// <para>Rows are numbered as a text editor shows lines: the header is row 1, the first image row 2. Every error is
/// a <see cref="DataFormatException"/> with the row and the column name ("train.csv: row 17, column 'pixel300': 'abc'
/// is not an integer 0–255"). Accepted: a UTF-8 byte-order mark, LF or CRLF line ends, blank lines at the end of
/// the file. Refused: blank lines between rows, spaces or quotes around numbers, rows with too few or too many
/// cells. The file is read whole and parsed as bytes (no per-cell strings), ~0.3 s for Kaggle's 73 MB train.csv.
/// </para>
/// </summary>
public static class CsvDigitReader
{
    /// <summary>Pixel columns per row: 28·28 = 784.</summary>
    public const int PixelColumns = IdxReader.PixelsPerImage;

    private static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    /// <summary>Digit class names "0".."9", the default.</summary>
    public static IReadOnlyList<string> DigitClassNames { get; } =
        Enumerable.Range(0, 10).Select(d => $"{d}").ToArray();

    /// <summary>Reads a labelled CSV (header <c>label,pixel0,…,pixel783</c>) into a dataset of (N, 784) pixels
    /// and (N) labels below <paramref name="classNames"/>.Count (default: the digits "0".."9"). The dataset is
    /// named <paramref name="name"/>, by default "csv:" and the file name.</summary>
    /// <exception cref="DataFormatException">bad header (including an unlabelled file's header), a row with the
    /// wrong number of cells, a cell that is not an integer 0–255, or a label out of range.</exception>
    /// <exception cref="IOException">the file cannot be read (e.g. <see cref="FileNotFoundException"/>).</exception>
    public static Dataset Read(string path, IReadOnlyList<string>? classNames = null, string? name = null)
    {
        classNames ??= DigitClassNames;
        var (pixels, labels) = Parse(ReadFile(path), path, true, classNames.Count);
        return new Dataset(name ?? $"csv:{Path.GetFileName(path)}", classNames, IdxReader.Side, IdxReader.Side,
            pixels, labels!);
    }

    /// <summary>Reads the images of a CSV without labels (header <c>pixel0,…,pixel783</c>, Kaggle's test.csv);
    /// a labelled file is accepted too, its labels checked (0–9) and dropped. Returns (N, 784) pixels.</summary>
    /// <exception cref="DataFormatException">as <see cref="Read"/>.</exception>
    /// <exception cref="IOException">the file cannot be read.</exception>
    public static ImageSet ReadUnlabelled(string path)
    {
        var (pixels, _) = Parse(ReadFile(path), path, null, 10);
        return new ImageSet(pixels, pixels.Length / PixelColumns, IdxReader.Side, IdxReader.Side);
    }

    /// <summary>The largest CSV file read, in bytes: it is read whole into one array. Kaggle's train.csv is 73 MB.
    /// </summary>
    public static readonly long MaxFileBytes = Array.MaxLength;

    /// <exception cref="InputFileException">not a regular file, or larger than <see cref="MaxFileBytes"/>.</exception>
    private static byte[] ReadFile(string path) => InputFile.ReadAllBytes(path, MaxFileBytes, "a CSV dataset");

    /// <summary>Parses CSV bytes. <paramref name="labelled"/>: true requires a label column, null accepts either
    /// layout. Returns (N, 784) pixels and, when the file has a label column, (N) labels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per file: skip tier-0 for the hot loop
    internal static (float[] Pixels, int[]? Labels) Parse(ReadOnlySpan<byte> data, string path, bool? labelled,
        int classes)
    {
        if (data.StartsWith("\uFEFF"u8)) data = data[3..];
        data = data.TrimEnd("\r\n"u8);
        int headerEnd = data.IndexOf((byte)'\n');
        var header = Line(headerEnd < 0 ? data : data[..headerEnd]);
        bool hasLabel = ParseHeader(header, path, labelled);
        int columns = PixelColumns + (hasLabel ? 1 : 0);
        var body = headerEnd < 0 ? ReadOnlySpan<byte>.Empty : data[(headerEnd + 1)..];
        int rows = body.IsEmpty ? 0 : body.Count((byte)'\n') + 1;
        // A well-formed row takes at least 2·columns bytes with its line end ('0,' per cell), so the body holds at
        // most this many; with more lines, one of the first fits + 1 rows is short and fails to parse before any
        // row past it is stored. Allocating for no more rows than that keeps a file of blank lines from allocating
        // 3 KB of pixels per byte.
        int fits = (int)Math.Min(rows, (body.Length + 1L) / (2 * columns) + 1);
        if ((long)fits * PixelColumns > Array.MaxLength)
            throw new DataFormatException(path, $"{rows} rows are more images than one float array can hold");
        var pixels = new float[fits * PixelColumns];
        int[]? labels = hasLabel ? new int[fits] : null;
        for (int r = 0; r < rows; r++)
        {
            int end = body.IndexOf((byte)'\n');
            var line = Line(end < 0 ? body : body[..end]);
            body = end < 0 ? ReadOnlySpan<byte>.Empty : body[(end + 1)..];
            int row = r + 2;
            if (line.IsEmpty)
                throw new DataFormatException(path, $"row {row} is empty (blank lines are allowed only at the end)");
            var rowPixels = pixels.AsSpan(r * PixelColumns, PixelColumns);
            int p = 0;
            for (int c = 0; c < columns; c++)
            {
                if (p > line.Length)
                    throw new DataFormatException(path, $"row {row}, column '{ColumnName(c, hasLabel)}': missing — " +
                        $"the row has {c} cells, the header {columns}");
                int start = p, value = 0;
                bool digits = true;
                for (; p < line.Length && line[p] != (byte)','; p++)
                {
                    uint d = (uint)(line[p] - (byte)'0');
                    if (d > 9) digits = false;
                    else value = Math.Min(value * 10 + (int)d, 1000);
                }
                var cell = line[start..p];
                digits &= !cell.IsEmpty;
                p++; // past the comma, or one past the end of the line
                bool isLabel = hasLabel && c == 0;
                int limit = isLabel ? classes - 1 : 255;
                if (!digits || value > limit)
                    throw new DataFormatException(path, $"row {row}, column '{ColumnName(c, hasLabel)}': " +
                        $"'{Show(cell)}' is not {(isLabel ? "a label" : "an integer")} 0–{limit}");
                if (isLabel) labels![r] = value;
                else rowPixels[c - (hasLabel ? 1 : 0)] = ByteToUnit[value];
            }
            if (p <= line.Length)
                throw new DataFormatException(path, $"row {row}, after column '{ColumnName(columns - 1, hasLabel)}': " +
                    $"the row has {columns + 1 + line[p..].Count((byte)',')} cells, the header {columns}");
        }
        return (pixels, labels);
    }

    /// <summary>Checks the header row; returns whether it has the label column.</summary>
    private static bool ParseHeader(ReadOnlySpan<byte> header, string path, bool? labelled)
    {
        if (header.IsEmpty)
            throw new DataFormatException(path, "row 1: the header is empty; expected 'label,pixel0,…,pixel783' " +
                "(or 'pixel0,…,pixel783' for a file without labels)");
        string[] names = Encoding.UTF8.GetString(header).Split(',');
        bool hasLabel = labelled ?? names[0] == "label";
        string layout = hasLabel ? "label,pixel0,…,pixel783" : "pixel0,…,pixel783";
        if (hasLabel && names[0] == "pixel0" && names.Length == PixelColumns)
            throw new DataFormatException(path, "row 1: the header has no 'label' column — this is an unlabelled " +
                "file (Kaggle's test.csv layout); a labelled CSV's header is 'label,pixel0,…,pixel783'");
        int columns = PixelColumns + (hasLabel ? 1 : 0);
        for (int c = 0; c < Math.Min(names.Length, columns); c++)
            if (names[c] != ColumnName(c, hasLabel))
                throw new DataFormatException(path, $"row 1 (header), column {c + 1}: expected " +
                    $"'{ColumnName(c, hasLabel)}', found '{Show(Encoding.UTF8.GetBytes(names[c]))}' " +
                    $"(the header must be '{layout}')");
        if (names.Length != columns)
            throw new DataFormatException(path, $"row 1 (header): {names.Length} columns, expected {columns} " +
                $"('{layout}')");
        return hasLabel;
    }

    private static string ColumnName(int column, bool hasLabel) =>
        hasLabel ? (column == 0 ? "label" : $"pixel{column - 1}") : $"pixel{column}";

    private static ReadOnlySpan<byte> Line(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    private static string Show(ReadOnlySpan<byte> cell)
    {
        string text = Encoding.UTF8.GetString(cell.Length > 24 ? cell[..24] : cell);
        return cell.Length > 24 ? text + "…" : text;
    }
}
