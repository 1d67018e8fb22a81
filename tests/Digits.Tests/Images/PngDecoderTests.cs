using Digits.Core.Data;
using Digits.Core.Images;
using Xunit;

namespace Digits.Tests.Images;

public sealed class PngDecoderTests
{
    private static string Kat(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "kat", name);

    private static void AssertPixels(GrayImage expected, GrayImage actual, float tolerance, Func<float, float>? map = null)
    {
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        for (int i = 0; i < expected.Pixels.Length; i++)
        {
            float want = map is null ? expected.Pixels[i] : map(expected.Pixels[i]);
            Assert.True(Math.Abs(want - actual.Pixels[i]) <= tolerance, $"pixel {i}: expected {want}, got {actual.Pixels[i]}");
        }
    }

    [Theory]
    [InlineData("gray8.png", 1.5)]
    [InlineData("gray16.png", 1.5)]
    [InlineData("rgb8.png", 1.5)]
    [InlineData("rgb16.png", 1.5)]
    [InlineData("rgba8.png", 1.5)]
    [InlineData("rgba16.png", 1.5)]
    [InlineData("palette8.png", 4)] // ImageMagick quantizes the palette: a level or two off
    [InlineData("interlaced.png", 1.5)]
    [InlineData("filters.png", 1.5)]
    public void ImageMagick_pngs_of_every_colour_type_decode_to_the_reference_pixels(string file, double levels)
    {
        var reference = PnmDecoder.Decode(Kat("reference.pgm"));
        AssertPixels(reference, PngDecoder.Decode(Kat(file)), (float)levels / 255);
    }

    [Theory]
    [InlineData("graya8.png")]
    [InlineData("graya16.png")]
    public void Gray_with_alpha_is_composited_over_white(string file)
    {
        var reference = PnmDecoder.Decode(Kat("reference.pgm"));
        AssertPixels(reference, PngDecoder.Decode(Kat(file)), 2f / 255, v => 0.8f * v + 0.2f);
    }

    [Theory]
    [InlineData("gray1.png")]
    [InlineData("gray2.png")]
    [InlineData("gray4.png")]
    [InlineData("palette1.png")]
    [InlineData("palette2.png")]
    [InlineData("palette4.png")]
    [InlineData("bilevel.pbm")]
    [InlineData("bilevel_plain.pbm")]
    public void Low_bit_depths_decode_to_the_bilevel_reference(string file)
    {
        var reference = PnmDecoder.Decode(Kat("bilevel.pgm"));
        AssertPixels(reference, ImageDecoder.Decode(Kat(file)), 1e-6f);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Each_filter_type_reverses_exactly(int filter)
    {
        // 5×4 RGB, values chosen so Sub/Up/Average/Paeth predictions differ and wrap around 255.
        var rows = Enumerable.Range(0, 4).Select(y => Enumerable.Range(0, 15).Select(i => (byte)(i * 37 + y * 91 + i * y * 13)).ToArray()).ToArray();
        var png = TestPng.File(TestPng.Ihdr(5, 4, 8, 2), TestPng.Chunk("IDAT", TestPng.Zlib(TestPng.Filter(rows, filter, 3))), TestPng.Iend());
        var image = PngDecoder.Decode(png, "f.png");
        for (int y = 0; y < 4; y++)
        for (int x = 0; x < 5; x++)
        {
            float want = 0.299f * rows[y][3 * x] / 255 + 0.587f * rows[y][3 * x + 1] / 255 + 0.114f * rows[y][3 * x + 2] / 255;
            Assert.Equal(want, image[x, y], 5);
        }
    }

    [Fact]
    public void Two_bit_gray_unpacks_high_bits_first_and_trns_makes_a_level_white()
    {
        // one row: samples 0,1,2,3,0 → 0b00011011, 0b00000000 (padding); tRNS marks level 0 transparent.
        var raw = new byte[] { 0, 0b0001_1011, 0 };
        var png = TestPng.File(TestPng.Ihdr(5, 1, 2, 0), TestPng.Chunk("tRNS", [0, 0]),
            TestPng.Chunk("IDAT", TestPng.Zlib(raw)), TestPng.Iend());
        var image = PngDecoder.Decode(png, "g.png");
        Assert.Equal([1f, 1 / 3f, 2 / 3f, 1f, 1f], image.Pixels);
    }

    private static DataFormatException Refused(byte[] png)
    {
        var e = Assert.Throws<DataFormatException>(() => PngDecoder.Decode(png, "user.png"));
        Assert.StartsWith("user.png: ", e.Message);
        return e;
    }

    private static byte[] Good() =>
        TestPng.File(TestPng.Ihdr(2, 2, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib([0, 1, 2, 0, 3, 4])), TestPng.Iend());

    [Fact]
    public void A_well_formed_tiny_png_decodes() =>
        Assert.Equal([1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f], PngDecoder.Decode(Good(), "ok.png").Pixels);

    [Fact]
    public void A_crc_mismatch_is_refused()
    {
        var png = TestPng.File(TestPng.Ihdr(2, 2, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib([0, 1, 2, 0, 3, 4]), badCrc: true), TestPng.Iend());
        Assert.Contains("CRC mismatch", Refused(png).Message);
    }

    [Fact]
    public void Every_truncation_is_refused_with_the_file_name()
    {
        var good = Good();
        for (int n = 0; n < good.Length; n++) Refused(good[..n]);
    }

    /// <summary>Every byte of a 2×2 PNG flipped in turn (XOR 0x5A). Each byte is covered by the signature, a chunk
    /// length, type or CRC, so every corruption must be refused with the file's name — counted, so a decoder that
    /// stopped checking CRCs (and decoded damaged pixels instead) fails here; a corruption that did decode would
    /// have to give the very same image.</summary>
    [Fact]
    public void Every_single_byte_corruption_is_refused_with_the_file_name_never_another_exception()
    {
        var good = Good();
        var original = PngDecoder.Decode(good, "user.png");
        var decoded = new List<int>();
        int refused = 0;
        for (int i = 0; i < good.Length; i++)
        {
            var bad = (byte[])good.Clone();
            bad[i] ^= 0x5A;
            GrayImage image;
            try
            {
                image = PngDecoder.Decode(bad, "user.png");
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith("user.png: ", e.Message);
                refused++;
                continue;
            }
            decoded.Add(i);
            AssertPixels(original, image, 0);
        }
        Assert.True(decoded.Count == 0, $"corruptions at bytes [{string.Join(',', decoded)}] decoded");
        Assert.Equal(good.Length, refused);
        Assert.Equal(71, good.Length); // 8 signature + 25 IHDR + 26 IDAT + 12 IEND: what the count above covers
    }

    [Theory]
    [InlineData(0u, 1u, 8, 0, "empty")]
    [InlineData(100000u, 1u, 8, 0, "larger than this reader accepts")]
    [InlineData(16384u, 16384u, 8, 0, "larger than this reader accepts")]
    [InlineData(1u, 1u, 3, 0, "bit depth 3 with colour type 0")]
    [InlineData(1u, 1u, 16, 3, "bit depth 16 with colour type 3")]
    [InlineData(1u, 1u, 4, 2, "bit depth 4 with colour type 2")]
    [InlineData(1u, 1u, 8, 5, "colour type 5")]
    public void Bad_ihdr_is_refused(uint width, uint height, int depth, int color, string expected)
    {
        var png = TestPng.File(TestPng.Ihdr(width, height, (byte)depth, (byte)color), TestPng.Chunk("IDAT", TestPng.Zlib([0, 0])), TestPng.Iend());
        Assert.Contains(expected, Refused(png).Message);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_without_inflating_it_all()
    {
        // 8000×8000 gray is within the size limit, but the data inflates to 100 MB more than that.
        var zeros = new byte[8000L * 8001 + 100_000_000];
        var png = TestPng.File(TestPng.Ihdr(8000, 8000, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib(zeros)), TestPng.Iend());
        Assert.Contains("inflates to more than", Refused(png).Message);
    }

    [Fact]
    public void A_short_stream_claiming_a_huge_image_is_refused_before_allocating()
    {
        var png = TestPng.File(TestPng.Ihdr(8000, 8000, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib([0, 0, 0])), TestPng.Iend());
        Assert.Contains("cannot hold", Refused(png).Message);
    }

    [Fact]
    public void Bad_filter_type_palette_index_and_missing_plte_are_refused()
    {
        Assert.Contains("unknown filter type 7", Refused(TestPng.File(TestPng.Ihdr(2, 1, 8, 0),
            TestPng.Chunk("IDAT", TestPng.Zlib([7, 0, 0])), TestPng.Iend())).Message);
        Assert.Contains("palette entry 5", Refused(TestPng.File(TestPng.Ihdr(1, 1, 8, 3), TestPng.Chunk("PLTE", [1, 2, 3]),
            TestPng.Chunk("IDAT", TestPng.Zlib([0, 5])), TestPng.Iend())).Message);
        Assert.Contains("without a PLTE", Refused(TestPng.File(TestPng.Ihdr(1, 1, 8, 3),
            TestPng.Chunk("IDAT", TestPng.Zlib([0, 0])), TestPng.Iend())).Message);
        Assert.Contains("corrupt", Refused(TestPng.File(TestPng.Ihdr(1, 1, 8, 0),
            TestPng.Chunk("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF]), TestPng.Iend())).Message);
    }

    /// <summary>Found by PngMutationTests: zlib asked for a preset dictionary and .NET threw ZLibException.</summary>
    [Fact]
    public void A_zlib_header_asking_for_a_preset_dictionary_is_refused()
    {
        var idat = TestPng.Zlib([0, 0]);
        idat[1] = 0x7D; // 0x787D: a valid zlib header check, FDICT set
        var png = TestPng.File(TestPng.Ihdr(1, 1, 8, 0), TestPng.Chunk("IDAT", idat), TestPng.Iend());
        Assert.Contains("preset dictionary", Refused(png).Message);
    }
}
