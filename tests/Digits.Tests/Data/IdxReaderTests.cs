using Digits.Core.Data;
using Xunit;

namespace Digits.Tests.Data;

/// <summary><see cref="IdxReader"/> on the real MNIST files and on small well-formed and malformed files.</summary>
public sealed class IdxReaderTests
{
    private static readonly int[] MnistTrainCounts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
    private static readonly int[] MnistTestCounts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

    [Fact]
    public void Reads_real_mnist_train_with_the_published_label_counts()
    {
        var set = IdxReader.ReadPair(RealData.File("mnist", DatasetCatalog.TrainImages),
            RealData.File("mnist", DatasetCatalog.TrainLabels), "mnist/train", DatasetCatalog.Mnist.ClassNames);
        Assert.Equal(60000, set.Count);
        Assert.Equal((28, 28, 784), (set.Height, set.Width, set.Features));
        Assert.Equal(60000 * 784, set.Images.Length);
        Assert.Equal(5, set.Labels[0]);
        Assert.Equal(MnistTrainCounts, Histogram(set.Labels));
        Assert.Equal(0f, set.Images.Min());
        Assert.Equal(1f, set.Images.Max());
    }

    [Fact]
    public void Reads_real_mnist_t10k_with_the_published_label_counts()
    {
        var set = IdxReader.ReadPair(RealData.File("mnist", DatasetCatalog.TestImages),
            RealData.File("mnist", DatasetCatalog.TestLabels), "mnist/t10k", DatasetCatalog.Mnist.ClassNames);
        Assert.Equal(10000, set.Count);
        Assert.Equal(7, set.Labels[0]);
        Assert.Equal(MnistTestCounts, Histogram(set.Labels));
    }

    [Fact]
    public void Reads_real_fashion_mnist_balanced()
    {
        int[] labels = IdxReader.ReadLabels(RealData.File("fashion-mnist", DatasetCatalog.TrainLabels));
        var images = IdxReader.ReadImages(RealData.File("fashion-mnist", DatasetCatalog.TestImages));
        Assert.Equal(Enumerable.Repeat(6000, 10), Histogram(labels));
        Assert.Equal(10000, images.Count);
    }

    [Fact]
    public void Raw_files_read_the_same_as_gzip()
    {
        string images = RealData.File("mnist", DatasetCatalog.TestImages);
        using var dir = new TempDir();
        string raw = dir.Write("t10k-images-idx3-ubyte", Idx.Gunzip(images));
        var (rawPixels, rawCount, rows, cols) = IdxReader.ReadImages(raw);
        var gz = IdxReader.ReadImages(images);
        Assert.Equal((10000, 28, 28), (rawCount, rows, cols));
        Assert.Equal(gz.Pixels, rawPixels);
        string labels = dir.Write("t10k-labels-idx1-ubyte",
            Idx.Gunzip(RealData.File("mnist", DatasetCatalog.TestLabels)));
        Assert.Equal(MnistTestCounts, Histogram(IdxReader.ReadLabels(labels)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Small_file_round_trips_pixels_as_byte_over_255(bool gzip)
    {
        byte[] file = Idx.Images(3);
        var (pixels, count, rows, cols) = IdxReader.ReadImages(new MemoryStream(gzip ? Idx.Gzip(file) : file), "x");
        Assert.Equal((3, 28, 28), (count, rows, cols));
        for (int i = 0; i < pixels.Length; i++) Assert.Equal((byte)i / 255f, pixels[i]);
        Assert.Equal([0, 9, 3], IdxReader.ReadLabels(new MemoryStream(Idx.Labels([0, 9, 3])), "y"));
    }

    [Fact]
    public void Empty_image_set_is_allowed()
    {
        Assert.Equal(0, IdxReader.ReadImages(new MemoryStream(Idx.Images(0)), "empty").Count);
    }

    public static TheoryData<string, byte[], string> MalformedImages => new()
    {
        { "empty file", [], "the file is empty; expected a 16-byte IDX images header" },
        { "truncated header", Idx.Images(1)[..10],
            "the file ends after 10 bytes, inside the 16-byte IDX images header" },
        { "truncated payload", Idx.Images(3, payload: 1000),
            "header claims 3 images of 28×28 (2352 bytes) but the file holds only 1000 bytes after the header" },
        { "labels magic", Idx.Labels([1, 2]),
            "magic number 0x00000801 is not 0x00000803 (IDX images): 1 dimension(s), not 3 — this looks like a " +
            "labels file" },
        { "not IDX", "hello, world, this is text"u8.ToArray(), "not an IDX file" },
        { "float IDX", Idx.Images(1, magic: 0x00000D03), "IDX element type 0x0D, not unsigned bytes" },
        { "wrong size", Idx.Images(2, 32, 32), "images are 32×32; Digits reads 28×28 images only" },
        { "zero size", Idx.Images(2, 0, 28), "images are 0×28" },
        { "trailing bytes", Idx.Images(2, payload: 2 * 784 + 3),
            "the file holds 3 bytes after the 1568-byte payload the header announces" },
        { "absurd count", Idx.Images(0x8000_0000u, payload: 0),
            "header claims 2147483648 images; more than 2739137 (what one float array holds) is refused as absurd" },
    };

    [Theory]
    [MemberData(nameof(MalformedImages))]
    public void Malformed_raw_images_throw_naming_file_and_problem(string why, byte[] file, string problem)
    {
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new MemoryStream(file), "bad-images"));
        Assert.StartsWith("bad-images: ", ex.Message);
        Assert.True(ex.Message.Contains(problem, StringComparison.Ordinal), $"{why}: {ex.Message}");
    }

    [Theory]
    [MemberData(nameof(MalformedImages))]
    public void Malformed_gzip_images_throw_naming_file_and_problem(string why, byte[] file, string problem)
    {
        byte[] gz = Idx.Gzip(file); // .NET writes no gzip header for empty input: that stays an empty file
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new MemoryStream(gz), "bad-images.gz"));
        Assert.StartsWith("bad-images.gz: ", ex.Message);
        string expected = gz.Length == 0 ? problem : problem.Replace("the file", "the decompressed data");
        Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"{why}: {ex.Message}");
    }

    [Fact]
    public void Gzip_stream_cut_short_is_a_format_error()
    {
        byte[] gz = Idx.Gzip(Idx.Images(50));
        var ex = Assert.Throws<DataFormatException>(
            () => IdxReader.ReadImages(new MemoryStream(gz[..(gz.Length / 2)]), "cut.gz"));
        Assert.StartsWith("cut.gz: header claims 50 images of 28×28 (39200 bytes) but the decompressed data holds " +
            "only ", ex.Message);
    }

    [Fact]
    public void Gzip_magic_with_garbage_after_is_a_format_error()
    {
        byte[] bad = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new MemoryStream(bad), "junk.gz"));
        Assert.StartsWith("junk.gz: not valid gzip data after 0 decompressed bytes", ex.Message);
    }

    [Fact]
    public void Absurd_count_fails_fast_without_a_big_allocation()
    {
        byte[] raw = Idx.Images(0x8000_0000u, payload: 4096);
        byte[] gz = Idx.Gzip(raw);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new MemoryStream(raw), "absurd"));
        Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new MemoryStream(gz), "absurd.gz"));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64L << 20);
    }

    [Fact]
    public void Gzip_claiming_more_than_deflate_can_hold_fails_before_reading()
    {
        byte[] gz = Idx.Gzip(Idx.Images(2_000_000, payload: 784));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new MemoryStream(gz), "small.gz"));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64L << 20);
        Assert.Contains($"but a {gz.Length}-byte gzip file cannot hold more than", ex.Message);
    }

    [Fact]
    public void Gzip_that_ends_early_allocates_only_what_it_holds()
    {
        // 1000 incompressible images in a file whose header claims 1,000,000 (784 MB of bytes, 3 GB of floats):
        // plausible for deflate's ratio, so the reader must find the end by reading, in bounded chunks.
        byte[] file = Idx.Images(1_000_000, payload: 1000 * 784);
        new Random(1).NextBytes(file.AsSpan(16));
        byte[] gz = Idx.Gzip(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new MemoryStream(gz), "short.gz"));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64L << 20);
        Assert.Contains("header claims 1000000 images of 28×28 (784000000 bytes) but the decompressed data holds " +
            "only 784000 bytes after the header", ex.Message);
    }

    public static TheoryData<string, byte[], int, string> MalformedLabels => new()
    {
        { "out of range", Idx.Labels([1, 2, 10, 3]), 10, "label 10 at index 2 is outside 0..9" },
        { "beyond classes", Idx.Labels([1, 4, 0]), 3, "label 4 at index 1 is outside 0..2" },
        { "images magic", Idx.Images(1), 10,
            "magic number 0x00000803 is not 0x00000801 (IDX labels): 3 dimension(s), not 1 — this looks like an " +
            "images file" },
        { "truncated header", Idx.Labels([])[..5], 10, "ends after 5 bytes, inside the 8-byte IDX labels header" },
        { "truncated payload", Idx.Labels([1, 2], count: 5), 10,
            "header claims 5 labels (5 bytes) but the file holds only 2 bytes after the header" },
        { "trailing bytes", Idx.Labels([1, 2, 3], count: 2), 10, "holds 1 bytes after the 2-byte payload" },
        { "absurd count", Idx.Labels([], count: uint.MaxValue), 10, "header claims 4294967295 labels; more than" },
    };

    [Theory]
    [MemberData(nameof(MalformedLabels))]
    public void Malformed_labels_throw_naming_file_and_problem(string why, byte[] file, int classes, string problem)
    {
        using var dir = new TempDir();
        foreach (bool gzip in (bool[])[false, true])
        {
            string path = dir.Write("labels-idx1-ubyte.gz", gzip ? Idx.Gzip(file) : file);
            var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(path, classes));
            Assert.Equal(path, ex.FilePath);
            Assert.StartsWith($"{path}: ", ex.Message);
            string expected = gzip ? problem.Replace("the file", "the decompressed data") : problem;
            Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"{why} (gzip: {gzip}): {ex.Message}");
        }
    }

    [Fact]
    public void Pair_with_different_counts_names_both_files()
    {
        using var dir = new TempDir();
        string images = dir.Write("images.gz", Idx.Gzip(Idx.Images(3)));
        string labels = dir.Write("labels", Idx.Labels([1, 2]));
        var ex = Assert.Throws<DataFormatException>(
            () => IdxReader.ReadPair(images, labels, "pair", DatasetCatalog.Mnist.ClassNames));
        Assert.Equal($"{images}: header claims 3 images but {labels} holds 2 labels", ex.Message);
    }

    [Fact]
    public void Pair_reads_into_a_dataset()
    {
        using var dir = new TempDir();
        string images = dir.Write("images", Idx.Images(3));
        string labels = dir.Write("labels.gz", Idx.Gzip(Idx.Labels([4, 0, 9])));
        var set = IdxReader.ReadPair(images, labels, "tiny", DatasetCatalog.FashionMnist.ClassNames);
        Assert.Equal("tiny: 3 images 28×28, 10 classes", set.ToString());
        Assert.Equal([4, 0, 9], set.Labels);
        Assert.Equal(1 / 255f, set.Image(0)[1]);
    }

    private static int[] Histogram(int[] labels)
    {
        var counts = new int[10];
        foreach (int label in labels) counts[label]++;
        return counts;
    }

    /// <summary>Found by IdxMutationTests: the labels array was allocated by the header's count before the payload
    /// was checked.</summary>
    [Fact]
    public void A_labels_header_claiming_millions_is_refused_before_allocating_for_them()
    {
        using var dir = new TempDir();
        string labels = dir.Write("labels", Idx.Labels([1, 2, 3], count: 2_000_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(labels));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("header claims 2000000 labels", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes");
    }
}
