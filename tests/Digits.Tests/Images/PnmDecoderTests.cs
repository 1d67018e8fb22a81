using System.Text;
using Digits.Core.Data;
using Digits.Imaging;
using Xunit;

namespace Digits.Tests.Images;

public sealed class PnmDecoderTests
{
    private static GrayImage Decode(string text) => PnmDecoder.Decode(Encoding.Latin1.GetBytes(text), "a.pgm");

    [Fact]
    public void Plain_pgm_with_comments_decodes()
    {
        var image = Decode("P2\n# made by hand\n3 2 # width height\n4\n0 1 2\n3 4 # last\n0\n");
        Assert.Equal(3, image.Width);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f, 1f, 0f], image.Pixels);
    }

    [Fact]
    public void Binary_pgm_reads_one_byte_or_two_big_endian_per_sample()
    {
        Assert.Equal([0f, 1f, 100 / 255f], Decode("P5 3 1 255\n\0\xff\x64").Pixels);
        Assert.Equal([1f, 256 / 65535f], Decode("P5 2 1 65535\n\xff\xff\x01\x00").Pixels);
    }

    [Fact]
    public void Pbm_one_is_black_in_both_encodings()
    {
        Assert.Equal([0f, 1f, 1f, 0f], Decode("P1\n4 1\n1001").Pixels);
        Assert.Equal([0f, 1f, 1f, 0f], Decode("P1\n4 1\n1 0 0 1").Pixels);
        // P4: 10 pixels per row pad to 2 bytes: 1000000001 000000
        Assert.Equal([0f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 0f], Decode("P4 10 1\n\x80\x40").Pixels);
    }

    [Theory]
    [InlineData("P5 3 1 255\n\0", "truncated")]
    [InlineData("P2 2 1 4\n1", "truncated")]
    [InlineData("P2 2 1 4\n1 9", "above maxval 4")]
    [InlineData("P5 2 1 0\n\0\0", "maxval 0")]
    [InlineData("P5 2 1 70000\n", "maxval 70000")]
    [InlineData("P5 0 1 255\n", "empty")]
    [InlineData("P5 99999 99999 255\n", "larger than this reader accepts")]
    [InlineData("P5 9999999999999 1 255\n", "absurdly large")]
    [InlineData("P5 x 1 255\n", "not a number")]
    [InlineData("P6 1 1 255\n\0\0\0", "not a PGM or PBM")]
    [InlineData("P4 9 2\n\0\0\0", "truncated")]
    [InlineData("P1 2 1\n1 7", "not a P1 bit")]
    [InlineData("P5", "truncated")]
    public void Malformed_files_are_refused_with_the_file_name(string text, string expected)
    {
        var e = Assert.Throws<DataFormatException>(() => Decode(text));
        Assert.StartsWith("a.pgm: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_formats_are_refused_by_the_sniffer()
    {
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode("II*\0\x08\0\0\0"u8, "cat.tif")); // TIFF: Skia has no TIFF codec
        Assert.Contains("cat.tif: not an image this reader knows", e.Message);
    }

    /// <summary>Found by PnmMutationTests: the pixels were allocated by the header's size before the file was
    /// checked to hold them.</summary>
    [Theory]
    [InlineData("P5 16384 1000 255\n\0\0\0", "truncated: 3 of 16,384,000 pixels present")]
    [InlineData("P4 16384 1000\n\0\0\0", "truncated: 0 of 16,384,000 pixels present")]
    [InlineData("P2 16384 1000 255\n1 2 3", "bytes after the header cannot hold the 16,384,000 pixels of a 16384×1000 image")]
    [InlineData("P1 16384 1000\n101", "bytes after the header cannot hold the 16,384,000 pixels")]
    public void A_header_claiming_megapixels_is_refused_before_allocating_them(string text, string expected)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => Decode(text));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(expected, e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes");
    }
}
