using System.Text;
using Digits.Core.Data;
using Xunit;

namespace Digits.Tests.Data;

/// <summary><see cref="CsvDigitReader"/> on small Kaggle-layout files written to a temp folder.</summary>
public sealed class CsvDigitReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The Kaggle header, with or without the label column.</summary>
    internal static string Header(bool labelled) =>
        string.Join(',', (labelled ? ["label"] : Array.Empty<string>()).Concat(
            Enumerable.Range(0, 784).Select(i => $"pixel{i}")));

    /// <summary>A row: the label (if any), then pixel i = (i + shift) mod 256.</summary>
    internal static string Row(int? label, int shift = 0) =>
        string.Join(',', (label is { } l ? [$"{l}"] : Array.Empty<string>()).Concat(
            Enumerable.Range(0, 784).Select(i => $"{(i + shift) % 256}")));

    /// <summary><see cref="Row"/> with pixel <paramref name="pixel"/>'s cell replaced by <paramref name="cell"/>.
    /// </summary>
    internal static string RowWith(int pixel, string cell, int label = 1)
    {
        string[] cells = Row(label).Split(',');
        cells[pixel + 1] = cell;
        return string.Join(',', cells);
    }

    private string Write(string text, string name = "train.csv") => _dir.Write(name, Encoding.UTF8.GetBytes(text));

    private string Labelled(params string[] rows) => Write(string.Join('\n', [Header(true), .. rows]) + "\n");

    [Fact]
    public void Reads_a_labelled_file()
    {
        var set = CsvDigitReader.Read(Labelled(Row(3), Row(0, 5), Row(9, 255)));
        Assert.Equal("csv:train.csv: 3 images 28×28, 10 classes", set.ToString());
        Assert.Equal([3, 0, 9], set.Labels);
        Assert.Equal(7 / 255f, set.Image(0)[7]);
        Assert.Equal(12 / 255f, set.Image(1)[7]);
        Assert.Equal(1f, set.Image(2)[0]);
        Assert.Equal(0f, set.Image(2)[1]);
    }

    [Fact]
    public void Accepts_bom_crlf_and_blank_lines_at_the_end()
    {
        string path = Write("\uFEFF" + Header(true) + "\r\n" + Row(4) + "\r\n" + Row(5, 1) + "\r\n\r\n\n");
        var set = CsvDigitReader.Read(path, name: "mine");
        Assert.Equal("mine", set.Name);
        Assert.Equal([4, 5], set.Labels);
        Assert.Equal(783 % 256 / 255f, set.Image(0)[783]);
    }

    [Fact]
    public void Header_only_file_is_an_empty_dataset()
    {
        Assert.Equal(0, CsvDigitReader.Read(Write(Header(true))).Count);
    }

    [Fact]
    public void Reads_an_unlabelled_file_and_drops_labels_of_a_labelled_one()
    {
        var images = CsvDigitReader.ReadUnlabelled(Write(Header(false) + "\n" + Row(null, 2) + "\n" + Row(null)));
        Assert.Equal((2, 28, 28, 1568), (images.Count, images.Height, images.Width, images.Pixels.Length));
        Assert.Equal(2 / 255f, images.Pixels[0]);
        var fromLabelled = CsvDigitReader.ReadUnlabelled(Labelled(Row(1, 2)));
        Assert.Equal(images.Pixels[..784], fromLabelled.Pixels);
    }

    [Fact]
    public void Labelled_read_of_an_unlabelled_file_says_so()
    {
        string path = Write(Header(false) + "\n" + Row(null), "test.csv");
        var ex = Assert.Throws<DataFormatException>(() => CsvDigitReader.Read(path));
        Assert.Equal($"{path}: row 1: the header has no 'label' column — this is an unlabelled file (Kaggle's " +
            "test.csv layout); a labelled CSV's header is 'label,pixel0,…,pixel783'", ex.Message);
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "empty file", "", "row 1: the header is empty" },
        { "swapped columns", Header(true).Replace("pixel1,pixel2", "pixel2,pixel1") + "\n" + Row(1),
            "row 1 (header), column 3: expected 'pixel1', found 'pixel2'" },
        { "short header", Header(true).Replace(",pixel783", "") + "\n" + Row(1),
            "row 1 (header): 784 columns, expected 785 ('label,pixel0,…,pixel783')" },
        { "long header", Header(true) + ",extra\n" + Row(1), "row 1 (header): 786 columns, expected 785" },
        { "short row", Header(true) + "\n" + Row(1) + "\n" + Row(2)[..Row(2).LastIndexOf(',')],
            "row 3, column 'pixel783': missing — the row has 784 cells, the header 785" },
        { "long row", Header(true) + "\n" + Row(1) + ",0,0", "row 2, after column 'pixel783': the row has 787 cells" },
        { "non-numeric", Header(true) + "\n" + string.Concat(Enumerable.Repeat(Row(1) + "\n", 15)) +
            RowWith(300, "abc"), "row 17, column 'pixel300': 'abc' is not an integer 0–255" },
        { "256", Header(true) + "\n" + RowWith(9, "256"),
            "row 2, column 'pixel9': '256' is not an integer 0–255" },
        { "huge", Header(true) + "\n" + RowWith(9, "99999999999999999999"),
            "row 2, column 'pixel9': '99999999999999999999' is not an integer 0–255" },
        { "negative", Header(true) + "\n" + RowWith(9, "-1"),
            "row 2, column 'pixel9': '-1' is not an integer 0–255" },
        { "space", Header(true) + "\n" + RowWith(9, " 9"),
            "row 2, column 'pixel9': ' 9' is not an integer 0–255" },
        { "empty cell", Header(true) + "\n" + RowWith(9, ""),
            "row 2, column 'pixel9': '' is not an integer 0–255" },
        { "label 10", Header(true) + "\n" + Row(1) + "\n" + Row(10), "row 3, column 'label': '10' is not a label 0–9" },
        { "blank line inside", Header(true) + "\n" + Row(1) + "\n\n" + Row(2),
            "row 3 is empty (blank lines are allowed only at the end)" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_files_throw_with_row_and_column(string why, string text, string problem)
    {
        string path = Write(text);
        var ex = Assert.Throws<DataFormatException>(() => CsvDigitReader.Read(path));
        Assert.Equal(path, ex.FilePath);
        Assert.True(ex.Message.StartsWith($"{path}: {problem}", StringComparison.Ordinal), $"{why}: {ex.Message}");
    }

    [Fact]
    public void Label_limit_follows_the_class_count()
    {
        string path = Labelled(Row(3));
        var ex = Assert.Throws<DataFormatException>(() => CsvDigitReader.Read(path, ["a", "b", "c"]));
        Assert.EndsWith("row 2, column 'label': '3' is not a label 0–2", ex.Message);
    }

    /// <summary>Found by CsvMutationTests: the pixels were allocated for every line before any row was parsed, so
    /// blank lines (1 byte each) asked for 3 KB of pixels each.</summary>
    [Fact]
    public void Blank_lines_between_rows_are_refused_without_allocating_a_row_for_each()
    {
        string path = Write(Header(true) + "\n" + Row(1) + new string('\n', 100_000) + Row(2) + "\n");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => CsvDigitReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("row 3 is empty", e.Message);
        long size = new FileInfo(path).Length;
        Assert.True(allocated < 8 * size + (1 << 20), $"allocated {allocated:N0} bytes for a {size:N0}-byte file");
    }
}
