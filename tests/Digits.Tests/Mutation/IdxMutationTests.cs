using Digits.Core.Data;
using Digits.Tests.Data;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>
/// <see cref="IdxReader"/> under thousands of mutations of small valid files, raw and gzip: each must load sanely
/// (as many 28×28 images, or labels below 10, as the data holds) or throw a <see cref="DataFormatException"/> naming
/// the file — never another exception, an allocation the file cannot justify, or a hang.
/// </summary>
public sealed class IdxMutationTests
{
    private static readonly Field[] ImageFields =
        [new("magic", 0, 4), new("count", 4, 4), new("rows", 8, 4), new("cols", 12, 4)];

    private static readonly Field[] LabelFields = [new("magic", 0, 4), new("count", 4, 4)];

    private static MutationSource[] ImageSources =>
    [
        new("3 images", Idx.Images(3), ImageFields),
        new("1 image", Idx.Images(1), ImageFields),
        new("0 images", Idx.Images(0), ImageFields),
    ];

    private static MutationSource[] LabelSources =>
    [
        new("5 labels", Idx.Labels([1, 2, 3, 4, 9]), LabelFields),
        new("0 labels", Idx.Labels([]), LabelFields),
    ];

    /// <summary>The bytes the reader sees: gunzipped when the file starts with the gzip magic, as it does.</summary>
    private static long Decoded(byte[] file) => file is [0x1f, 0x8b, ..] ? MutationRun.GunzippedLength(file) : file.Length;

    /// <summary>A loaded images file holds exactly as many 28×28 images as its payload, each pixel in [0, 1].</summary>
    private static void CheckImages(object? result, long payload)
    {
        var set = Assert.IsType<ImageSet>(result);
        Assert.Equal((28, 28), (set.Height, set.Width));
        Assert.Equal(payload, (long)set.Count * 784);
        Assert.Equal(set.Count * 784, set.Pixels.Length);
        Assert.All(set.Pixels, p => Assert.InRange(p, 0f, 1f));
    }

    private static void CheckLabels(object? result, long payload)
    {
        var labels = Assert.IsType<int[]>(result);
        Assert.Equal(payload, labels.Length);
        Assert.All(labels, l => Assert.InRange(l, 0, 9));
    }

    [Fact]
    public async Task Raw_images_files_load_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("idx-images", ImageSources, (_, path) => IdxReader.ReadImages(path),
            typeof(DataFormatException), new MutationOptions { Check = (r, file) => CheckImages(r, Decoded(file) - 16) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    [Fact]
    public async Task Raw_labels_files_load_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("idx-labels", LabelSources, (_, path) => IdxReader.ReadLabels(path),
            typeof(DataFormatException), new MutationOptions { Check = (r, file) => CheckLabels(r, Decoded(file) - 8) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    /// <summary>The IDX bytes are mutated, then gzipped: the gzip layer is sound, the header inside it is not, so
    /// this exercises the reader's checks of a claim it cannot compare with the file's length.</summary>
    [Fact]
    public async Task Gzipped_images_files_with_mutated_contents_load_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("idx-images.gz", ImageSources, (_, path) => IdxReader.ReadImages(path),
            typeof(DataFormatException), new MutationOptions
            {
                Encode = (bytes, _) => Idx.Gzip(bytes),
                AllocationBound = file => MutationRun.InflatedBound(file, MutationRun.GunzippedLength(file)),
                Check = (r, file) => CheckImages(r, Decoded(file) - 16),
            });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    [Fact]
    public async Task Gzipped_labels_files_with_mutated_contents_load_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("idx-labels.gz", LabelSources, (_, path) => IdxReader.ReadLabels(path),
            typeof(DataFormatException), new MutationOptions
            {
                Encode = (bytes, _) => Idx.Gzip(bytes),
                AllocationBound = file => MutationRun.InflatedBound(file, MutationRun.GunzippedLength(file)),
                Check = (r, file) => CheckLabels(r, Decoded(file) - 8),
            });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    /// <summary>The gzip bytes themselves are mutated: its header, deflate blocks, CRC-32 and length trailer.</summary>
    [Fact]
    public async Task Gzip_files_with_mutated_compressed_bytes_load_sanely_or_give_a_DataFormatException()
    {
        MutationSource Gz(string name, byte[] idx)
        {
            byte[] gz = Idx.Gzip(idx);
            return new MutationSource(name, gz,
            [
                new Field("gzip flags", 3, 1), new Field("gzip mtime", 4, 4, BigEndian: false),
                new Field("gzip CRC-32", gz.Length - 8, 4, BigEndian: false),
                new Field("gzip ISIZE", gz.Length - 4, 4, BigEndian: false),
            ]);
        }
        var report = await MutationRun.RunAsync("idx-images.gz-bytes",
            [Gz("3 images .gz", Idx.Images(3)), Gz("1 image .gz", Idx.Images(1))],
            (_, path) => IdxReader.ReadImages(path), typeof(DataFormatException), new MutationOptions
            {
                AllocationBound = file => MutationRun.InflatedBound(file, MutationRun.GunzippedLength(file)),
                Check = (r, file) => CheckImages(r, Decoded(file) - 16),
            });
        Assert.True(report.Rejected > 0, report.ToString());
    }
}
