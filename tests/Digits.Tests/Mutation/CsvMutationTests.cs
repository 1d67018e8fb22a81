using System.Text;
using Digits.Core.Data;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>
/// <see cref="CsvDigitReader"/> under thousands of mutations of small valid Kaggle-layout CSVs (labelled and not, LF
/// and CRLF, with a byte-order mark): each must load sanely or throw a <see cref="DataFormatException"/> naming the
/// file.
/// </summary>
public sealed class CsvMutationTests
{
    /// <summary>A CSV of <paramref name="rows"/> images whose pixel values sweep 0–255, with labels if given.</summary>
    internal static byte[] Csv(int rows, bool labelled, string newline = "\n", bool bom = false)
    {
        var text = new StringBuilder(bom ? "\uFEFF" : "");
        var names = Enumerable.Range(0, 784).Select(p => $"pixel{p}");
        text.Append(string.Join(',', labelled ? names.Prepend("label") : names)).Append(newline);
        for (int r = 0; r < rows; r++)
        {
            var cells = Enumerable.Range(0, 784).Select(p => $"{(p * 7 + r * 31) % 256}");
            text.Append(string.Join(',', labelled ? cells.Prepend($"{(r * 3) % 10}") : cells)).Append(newline);
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static MutationSource[] Sources =>
    [
        new("3 labelled rows", Csv(3, true)),
        new("1 labelled row, CRLF, BOM", Csv(1, true, "\r\n", bom: true)),
        new("2 unlabelled rows", Csv(2, false)),
        new("header only", Csv(0, true)),
    ];

    private static int Lines(byte[] file) => file.Count(b => b == '\n') + 1;

    private static void CheckImages(float[] pixels, int count, byte[] file)
    {
        Assert.Equal((long)count * 784, pixels.Length);
        Assert.InRange(count, 0, Lines(file) - 1); // never more images than lines after the header
        Assert.All(pixels, p => Assert.InRange(p, 0f, 1f));
    }

    [Fact]
    public async Task Labelled_csv_files_load_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("csv", Sources[..2].Append(Sources[3]).ToArray(),
            (_, path) => CsvDigitReader.Read(path), typeof(DataFormatException), new MutationOptions
            {
                Check = (r, file) =>
                {
                    var set = Assert.IsType<Dataset>(r);
                    Assert.Equal((28, 28, 10), (set.Height, set.Width, set.Classes));
                    Assert.All(set.Labels, l => Assert.InRange(l, 0, 9));
                    CheckImages(set.Images, set.Count, file);
                },
            });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    [Fact]
    public async Task Unlabelled_csv_files_load_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("csv-unlabelled", Sources,
            (_, path) => CsvDigitReader.ReadUnlabelled(path), typeof(DataFormatException), new MutationOptions
            {
                MaxCases = MutationOptions.Cases(1500),
                Check = (r, file) =>
                {
                    var set = Assert.IsType<ImageSet>(r);
                    Assert.Equal((28, 28), (set.Height, set.Width));
                    CheckImages(set.Pixels, set.Count, file);
                },
            });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }
}
