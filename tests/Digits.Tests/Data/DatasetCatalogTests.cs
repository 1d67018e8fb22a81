using Digits.Core.Data;
using Xunit;

namespace Digits.Tests.Data;

/// <summary><see cref="DatasetCatalog"/> entries and <see cref="DatasetSpec.Parse"/>.</summary>
public sealed class DatasetCatalogTests
{
    [Fact]
    public void Catalog_lists_the_three_datasets_with_their_classes_and_urls()
    {
        Assert.Equal(["mnist", "fashion-mnist", "kmnist"], DatasetCatalog.All.Select(d => d.Name));
        Assert.Equal(["mnist", "fashion-mnist", "kmnist"], DatasetCatalog.All.Select(d => d.Folder));
        Assert.Equal(Enumerable.Range(0, 10).Select(d => $"{d}"), DatasetCatalog.Mnist.ClassNames);
        Assert.Equal("T-shirt/top", DatasetCatalog.FashionMnist.ClassNames[0]);
        Assert.Equal("Ankle boot", DatasetCatalog.FashionMnist.ClassNames[9]);
        Assert.Equal(["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"], DatasetCatalog.Kmnist.ClassNames);
        Assert.Equal("https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
            DatasetCatalog.Mnist.UrlOf(DatasetCatalog.TrainImages).ToString());
        Assert.Equal("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz",
            DatasetCatalog.FashionMnist.UrlOf(DatasetCatalog.TestLabels).ToString());
        Assert.Equal("http://codh.rois.ac.jp/kmnist/dataset/kmnist/train-images-idx3-ubyte.gz",
            DatasetCatalog.Kmnist.UrlOf(DatasetCatalog.TrainImages).ToString());
    }

    [Fact]
    public void Checksums_have_the_right_kind_and_length()
    {
        foreach (var info in DatasetCatalog.All)
        {
            Assert.Equal(DatasetCatalog.FileNames, info.Files.Select(f => f.FileName));
            int digits = info.ChecksumKind == ChecksumKind.Md5 ? 32 : 64;
            Assert.All(info.Files, f => Assert.Matches($"^[0-9a-f]{{{digits}}}$", f.Checksum));
        }
        Assert.Equal(ChecksumKind.Md5, DatasetCatalog.Kmnist.ChecksumKind);
        Assert.Equal("MD5", DatasetCatalog.Kmnist.ChecksumName);
        Assert.Equal("SHA-256", DatasetCatalog.Mnist.ChecksumName);
    }

    [Theory]
    [InlineData("mnist")]
    [InlineData("fashion-mnist")] // no KMNIST files here (shared/data/README.md: not present)
    public void Catalog_checksums_match_the_real_files(string dataset)
    {
        var info = DatasetCatalog.Find(dataset)!;
        foreach (var file in info.Files)
            Assert.Equal(file.Checksum, Checksums.OfFile(RealData.File(dataset, file.FileName), info.ChecksumKind));
    }

    [Theory]
    [InlineData("mnist", "mnist")]
    [InlineData("MNIST", "mnist")]
    [InlineData("fashion-mnist", "fashion-mnist")]
    [InlineData("kmnist", "kmnist")]
    public void Parses_named_datasets(string text, string name)
    {
        var spec = Assert.IsType<DatasetSpec.Named>(DatasetSpec.Parse(text));
        Assert.Same(DatasetCatalog.Find(name), spec.Info);
        Assert.Equal(name, spec.ToString());
    }

    [Theory]
    [InlineData("csv:train.csv", "train.csv", null)]
    [InlineData("csv:/data/k/train.csv,/data/k/labelled-test.csv", "/data/k/train.csv", "/data/k/labelled-test.csv")]
    public void Parses_csv_specs(string text, string train, string? test)
    {
        var spec = Assert.IsType<DatasetSpec.Csv>(DatasetSpec.Parse(text));
        Assert.Equal((train, test), (spec.TrainPath, spec.TestPath));
        Assert.Equal(text, spec.ToString());
    }

    [Theory]
    [InlineData("mnsit", "unknown dataset 'mnsit'; expected mnist|fashion-mnist|kmnist|csv:PATH[,TESTPATH]")]
    [InlineData("", "unknown dataset ''")]
    [InlineData("csv:", "expected csv:PATH or csv:PATH,TESTPATH")]
    [InlineData("csv:a.csv,", "expected csv:PATH or csv:PATH,TESTPATH")]
    [InlineData("csv:a,b,c", "expected csv:PATH or csv:PATH,TESTPATH")]
    public void Rejects_bad_specs_listing_what_is_accepted(string text, string message)
    {
        var ex = Assert.Throws<FormatException>(() => DatasetSpec.Parse(text));
        Assert.Contains(message, ex.Message);
    }
}
