using System.Text;
using Digits.Core.Data;
using Xunit;

namespace Digits.Tests.Data;

/// <summary><see cref="DatasetLoader.Load"/>: named datasets from <c>$DIGITS_DATA</c>, CSV hold-outs, validation
/// splits (sizes, disjointness, determinism with the seed).</summary>
public sealed class DatasetLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A labelled CSV of <paramref name="rows"/> rows whose pixel0 is the row index (an identity to track
    /// rows through splits) and whose label is index mod 10.</summary>
    private string Csv(string name, int rows, int offset = 0)
    {
        var text = new StringBuilder(CsvDigitReaderTests.Header(true)).Append('\n');
        for (int r = 0; r < rows; r++)
            text.Append(CsvDigitReaderTests.RowWith(0, $"{r + offset}", (r + offset) % 10)).Append('\n');
        return _dir.Write(name, Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static int[] Ids(Dataset set) =>
        Enumerable.Range(0, set.Count).Select(i => (int)MathF.Round(set.Image(i)[0] * 255)).ToArray();

    private static DatasetSplits Load(DatasetSpec spec, int validation, ulong seed, DataLocation? location = null) =>
        DatasetLoader.Load(spec, location ?? new DataLocation("/nonexistent", "test"), false, null, validation, seed,
            cancel: Cancel);

    [Fact]
    public void Named_dataset_with_validation_split()
    {
        var location = new DataLocation(RealData.Root("mnist"), "DIGITS_DATA");
        var splits = Load(new DatasetSpec.Named(DatasetCatalog.Mnist), 5000, 7, location);
        Assert.Equal(("mnist/train", 55000), (splits.Train.Name, splits.Train.Count));
        Assert.Equal(("mnist/t10k", 10000), (splits.Test.Name, splits.Test.Count));
        Assert.Equal(("mnist/validation", 5000), (splits.Validation!.Name, splits.Validation.Count));
        Assert.Equal(["held out 5000 of 60000 training images of mnist/train (seed 7) as the validation set"],
            splits.Notes);
        var counts = new int[10];
        foreach (int label in splits.Train.Labels.Concat(splits.Validation.Labels)) counts[label]++;
        Assert.Equal([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], counts);
    }

    [Fact]
    public void Csv_alone_holds_out_a_seeded_tenth_as_the_test_set()
    {
        string path = Csv("train.csv", 200);
        var spec = new DatasetSpec.Csv(path, null);
        var splits = Load(spec, 0, 1);
        Assert.Equal(("csv:train.csv (90 %)", 180), (splits.Train.Name, splits.Train.Count));
        Assert.Equal(("csv:train.csv (10 %)", 20), (splits.Test.Name, splits.Test.Count));
        Assert.Null(splits.Validation);
        Assert.Equal(["held out 20 of 200 rows of train.csv (10 %, seed 1) as the test set"], splits.Notes);
        Assert.Equal(Enumerable.Range(0, 200), Ids(splits.Train).Concat(Ids(splits.Test)).Order());
        Assert.Equal(Ids(splits.Test).Select(id => id % 10), splits.Test.Labels);

        Assert.Equal(Ids(splits.Test), Ids(Load(spec, 0, 1).Test));
        Assert.NotEqual(Ids(splits.Test), Ids(Load(spec, 0, 2).Test));
    }

    [Fact]
    public void Csv_with_validation_takes_both_hold_outs_disjointly()
    {
        var splits = Load(new DatasetSpec.Csv(Csv("train.csv", 250), null), 30, 5);
        Assert.Equal((195, 25, 30), (splits.Train.Count, splits.Test.Count, splits.Validation!.Count));
        Assert.Equal("csv:train.csv (validation)", splits.Validation.Name);
        Assert.Equal(Enumerable.Range(0, 250),
            Ids(splits.Train).Concat(Ids(splits.Test)).Concat(Ids(splits.Validation)).Order());
        Assert.Equal(2, splits.Notes.Count);
    }

    [Fact]
    public void Csv_with_a_test_file_uses_it_whole()
    {
        var splits = Load(DatasetSpec.Parse($"csv:{Csv("a.csv", 40)},{Csv("b.csv", 15, offset: 100)}"), 4, 3);
        Assert.Equal((36, 15, 4), (splits.Train.Count, splits.Test.Count, splits.Validation!.Count));
        Assert.Equal("csv:b.csv", splits.Test.Name);
        Assert.Equal(Enumerable.Range(100, 15), Ids(splits.Test));
        Assert.Empty(Ids(splits.Validation).Intersect(Ids(splits.Train)));
    }

    [Theory]
    [InlineData(100,
        "DatasetLoader.Load(validationCount) 100 must be less than the 90 training images of csv:train.csv (90 %)")]
    [InlineData(-1, "DatasetLoader.Load(validationCount) -1 must be 0 or more")]
    public void Validation_count_out_of_range_is_refused(int validation, string message)
    {
        var spec = new DatasetSpec.Csv(Csv("train.csv", 100), null);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Load(spec, validation, 1));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Missing_csv_says_where_it_looked()
    {
        var ex = Assert.Throws<DataUnavailableException>(() => Load(DatasetSpec.Parse("csv:no/such.csv"), 0, 1));
        Assert.Equal($"no/such.csv not found (looked at {Path.GetFullPath("no/such.csv")}; csv: paths are relative " +
            "to the working directory)", ex.Message);
    }

    [Fact]
    public void Unlabelled_test_csv_is_refused_with_the_reason()
    {
        string test = _dir.Write("test.csv", Encoding.UTF8.GetBytes(CsvDigitReaderTests.Header(false) + "\n" +
            CsvDigitReaderTests.Row(null)));
        var ex = Assert.Throws<DataFormatException>(() => Load(new DatasetSpec.Csv(Csv("train.csv", 10), test), 0, 1));
        Assert.Contains("test.csv: row 1: the header has no 'label' column", ex.Message);
    }

    [Fact]
    public void Split_indices_are_sorted_disjoint_and_seeded()
    {
        var (held, kept) = DatasetLoader.SplitIndices(1000, 100, 42, DatasetLoader.ValidationPurpose);
        Assert.Equal((100, 900), (held.Length, kept.Length));
        Assert.Equal(held.Order(), held);
        Assert.Equal(kept.Order(), kept);
        Assert.Equal(Enumerable.Range(0, 1000), held.Concat(kept).Order());
        Assert.Equal(held, DatasetLoader.SplitIndices(1000, 100, 42, DatasetLoader.ValidationPurpose).Held);
        Assert.NotEqual(held, DatasetLoader.SplitIndices(1000, 100, 43, DatasetLoader.ValidationPurpose).Held);
        Assert.NotEqual(held, DatasetLoader.SplitIndices(1000, 100, 42, DatasetLoader.CsvTestPurpose).Held);
    }
}
