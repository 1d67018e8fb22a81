using System.Buffers.Binary;
using Digits.Core.Data;
using Digits.Imaging;
using Xunit;

namespace Digits.Tests.Images;

/// <summary>What <see cref="ImageDecoder"/> reads: PNG of every colour type (ImageMagick-written known answers and
/// hand-made files), JPEG with EXIF orientation, WebP, GIF, BMP (through Skia), PGM/PBM (our own reader), and how it
/// refuses bad files: one <see cref="DataFormatException"/> naming the file, a size claim checked before decoding.
/// </summary>
public sealed class ImageDecoderTests
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
        AssertPixels(reference, ImageDecoder.Decode(Kat(file)), (float)levels / 255);
    }

    [Theory]
    [InlineData("graya8.png")]
    [InlineData("graya16.png")]
    public void Gray_with_alpha_is_composited_over_white(string file)
    {
        var reference = PnmDecoder.Decode(Kat("reference.pgm"));
        AssertPixels(reference, ImageDecoder.Decode(Kat(file)), 2f / 255, v => 0.8f * v + 0.2f);
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
        var image = ImageDecoder.Decode(png, "f.png");
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
        var image = ImageDecoder.Decode(png, "g.png");
        Assert.Equal([1f, 1 / 3f, 2 / 3f, 1f, 1f], image.Pixels);
    }

    private static DataFormatException Refused(byte[] png)
    {
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(png, "user.png"));
        Assert.StartsWith("user.png: ", e.Message);
        return e;
    }

    private static byte[] Good() =>
        TestPng.File(TestPng.Ihdr(2, 2, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib([0, 1, 2, 0, 3, 4])), TestPng.Iend());

    [Fact]
    public void A_well_formed_tiny_png_decodes() =>
        Assert.Equal([1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f], ImageDecoder.Decode(Good(), "ok.png").Pixels);

    [Fact]
    public void A_crc_mismatch_in_the_image_data_is_refused() =>
        Refused(TestPng.File(TestPng.Ihdr(2, 2, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib([0, 1, 2, 0, 3, 4]), badCrc: true),
            TestPng.Iend()));

    [Fact]
    public void Every_truncation_is_refused_with_the_file_name()
    {
        var good = Good();
        var decoded = new List<int>();
        for (int n = 0; n < good.Length; n++)
        {
            try
            {
                ImageDecoder.Decode(good[..n], "user.png");
                decoded.Add(n);
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith("user.png: ", e.Message);
            }
        }
        // once the deflate data is all there (byte 50), its Adler-32, IDAT's CRC and IEND are not needed: libpng
        // decodes the complete pixels; any shorter file is refused
        Assert.True(decoded.All(n => n >= 50), $"truncated to [{string.Join(',', decoded)}] bytes decoded");
        foreach (int n in decoded) AssertPixels(ImageDecoder.Decode(good, "user.png"), ImageDecoder.Decode(good[..n], "user.png"), 0);
    }

    /// <summary>Every byte of a 2×2 PNG flipped in turn (XOR 0x5A): each corruption is refused with the file's name
    /// or, where the decoder does not need the byte (IEND, an ancillary bit), decodes to the very same image.
    /// Most must be refused: the signature, IHDR and IDAT are all checked (libpng checks critical chunks' CRCs).
    /// </summary>
    [Fact]
    public void Every_single_byte_corruption_is_refused_with_the_file_name_or_changes_nothing()
    {
        var good = Good();
        var original = ImageDecoder.Decode(good, "user.png");
        int refused = 0;
        for (int i = 0; i < good.Length; i++)
        {
            var bad = (byte[])good.Clone();
            bad[i] ^= 0x5A;
            GrayImage image;
            try
            {
                image = ImageDecoder.Decode(bad, "user.png");
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith("user.png: ", e.Message);
                refused++;
                continue;
            }
            AssertPixels(original, image, 0);
        }
        Assert.InRange(refused, 8 + 25 + 26, good.Length); // signature, IHDR and IDAT: every byte
    }

    [Theory]
    [InlineData(0u, 1u, 8, 0)]
    [InlineData(1u, 1u, 3, 0)]
    [InlineData(1u, 1u, 16, 3)]
    [InlineData(1u, 1u, 4, 2)]
    [InlineData(1u, 1u, 8, 5)]
    public void Bad_ihdr_is_refused(uint width, uint height, int depth, int color) =>
        Refused(TestPng.File(TestPng.Ihdr(width, height, (byte)depth, (byte)color), TestPng.Chunk("IDAT", TestPng.Zlib([0, 0])),
            TestPng.Iend()));

    /// <summary>A decompression bomb: a file of a few hundred bytes claiming 50000×50000 pixels (2.5 gigapixels) is
    /// refused by its declared size, before any pixel is decoded — in PNG, GIF and BMP alike.</summary>
    [Theory]
    [InlineData("png")]
    [InlineData("gif")]
    [InlineData("bmp")]
    public void A_small_file_claiming_50000_by_50000_pixels_is_refused_before_decoding(string format)
    {
        var small = new GrayImage(4, 4, new float[16]);
        byte[] file = format switch
        {
            "png" => TestPng.File(TestPng.Ihdr(50000, 50000, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib(new byte[1000])), TestPng.Iend()),
            "gif" => TestImages.Gif(small),
            _ => TestImages.Bmp(small),
        };
        if (format == "gif")
        {
            // the screen and the frame both claim 50000×50000
            foreach (int at in new[] { 6, 8, 13 + 768 + 5, 13 + 768 + 7 })
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at), 50000);
        }
        if (format == "bmp")
        {
            BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), 50000);
            BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), 50000);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Contains("larger than this reader accepts", Refused(file).Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void A_few_hundred_bytes_claiming_8000_by_8000_pixels_is_refused_before_decoding()
    {
        var png = TestPng.File(TestPng.Ihdr(8000, 8000, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib(new byte[1000])), TestPng.Iend());
        Assert.Contains("decompression bomb", Refused(png).Message);
    }

    [Fact]
    public void A_short_stream_claiming_a_large_image_is_refused_as_truncated()
    {
        // 4000 incompressible bytes (the start of row 0, filter 0): enough file for 12 megapixels, too little data
        var row = new byte[4000];
        new Random(1).NextBytes(row);
        row[0] = 0;
        var png = TestPng.File(TestPng.Ihdr(4000, 3000, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib(row)), TestPng.Iend());
        Assert.Contains("truncated", Refused(png).Message);
    }

    [Fact]
    public void Bad_filter_type_palette_index_missing_plte_and_corrupt_zlib_are_refused()
    {
        Refused(TestPng.File(TestPng.Ihdr(2, 1, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib([7, 0, 0])), TestPng.Iend()));
        Refused(TestPng.File(TestPng.Ihdr(1, 1, 8, 3), TestPng.Chunk("IDAT", TestPng.Zlib([0, 0])), TestPng.Iend()));
        Refused(TestPng.File(TestPng.Ihdr(1, 1, 8, 0), TestPng.Chunk("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF]), TestPng.Iend()));
    }

    [Fact]
    public void Bytes_of_no_known_format_are_refused_naming_the_formats()
    {
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode("hello, world"u8, "note.txt"));
        Assert.Equal("note.txt: not an image this reader knows (" + ImageDecoder.Formats + ")", e.Message);
    }

    private static GrayImage Seven() => ImageDecoder.Decode(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fonts", "7_DejaVu-Sans.png"));

    private static double MeanDifference(GrayImage a, GrayImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        return a.Pixels.Zip(b.Pixels, (x, y) => Math.Abs(x - y)).Average();
    }

    [Theory]
    [InlineData("jpeg", 0.02)]
    [InlineData("webp", 0.02)]
    [InlineData("gif", 0.003)]
    [InlineData("bmp", 0.003)]
    [InlineData("png", 0.003)]
    public void Jpeg_webp_gif_bmp_and_png_decode_to_the_pixels_written(string format, double tolerance)
    {
        var seven = Seven();
        byte[] file = format switch
        {
            "jpeg" => TestImages.Encode(seven, SkiaSharp.SKEncodedImageFormat.Jpeg),
            "webp" => TestImages.Encode(seven, SkiaSharp.SKEncodedImageFormat.Webp),
            "gif" => TestImages.Gif(seven),
            "bmp" => TestImages.Bmp(seven),
            _ => TestImages.Encode(seven, SkiaSharp.SKEncodedImageFormat.Png),
        };
        double difference = MeanDifference(seven, ImageDecoder.Decode(file, "seven." + format));
        Assert.True(difference <= tolerance, $"{format}: mean difference {difference:0.0000}");
    }

    /// <summary>Phones store the sensor's pixels and say in EXIF how to turn them; each of the eight orientations,
    /// stored as EXIF 2.3 defines (row 0 / column 0 are which visual side), decodes upright.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void A_jpeg_with_an_exif_orientation_decodes_upright(int orientation)
    {
        // an asymmetric picture: a dark block near the top-left corner of a 48×32 page
        int w = 48, h = 32;
        var upright = new GrayImage(w, h, Enumerable.Range(0, w * h).Select(i => i % w < 16 && i / w < 8 ? 0f : 1f).ToArray());
        bool swap = orientation >= 5;
        int sw = swap ? h : w, sh = swap ? w : h;
        var stored = new float[w * h];
        for (int sy = 0; sy < sh; sy++)
        for (int sx = 0; sx < sw; sx++)
        {
            // the visual pixel that stored (sx, sy) shows
            var (x, y) = orientation switch
            {
                1 => (sx, sy), 2 => (w - 1 - sx, sy), 3 => (w - 1 - sx, h - 1 - sy), 4 => (sx, h - 1 - sy),
                5 => (sy, sx), 6 => (w - 1 - sy, sx), 7 => (w - 1 - sy, h - 1 - sx), _ => (sy, h - 1 - sx),
            };
            stored[sy * sw + sx] = upright[x, y];
        }
        var decoded = ImageDecoder.Decode(TestImages.JpegWithOrientation(new GrayImage(sw, sh, stored), orientation), "phone.jpg");
        Assert.True(MeanDifference(upright, decoded) < 0.03, $"orientation {orientation}: not upright");
    }
}
