using System.Text;
using Digits.Core.Data;
using Digits.Imaging;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>
/// <see cref="PnmDecoder"/> (through <see cref="ImageDecoder.Decode(string)"/>) under thousands of mutations of
/// small valid PGM (P2, P5 with 8- and 16-bit samples) and PBM (P1 with and without separators, P4) files: each must
/// decode to a sane image or throw a <see cref="DataFormatException"/> naming the file. Some sources are tall and
/// narrow so that one inflated width (an ASCII number replaced by 16384, say) claims megabytes of pixels.
/// </summary>
public sealed class PnmMutationTests
{
    private static byte[] Text(string header, IEnumerable<int> values, int perLine) =>
        Encoding.ASCII.GetBytes(header + string.Join("\n", values.Chunk(perLine).Select(l => string.Join(' ', l))) + "\n");

    private static byte[] Binary(string header, IEnumerable<byte> data) =>
        [.. Encoding.ASCII.GetBytes(header), .. data];

    private static MutationSource[] Sources =>
    [
        new("P2 5×3", Text("P2\n# a comment\n5 3\n255\n", Enumerable.Range(0, 15).Select(k => k * 17), 5)),
        new("P2 2×40", Text("P2 2 40 15\n", Enumerable.Range(0, 80).Select(k => k % 16), 2)),
        new("P5 5×3", Binary("P5\n5 3\n255\n", Enumerable.Range(0, 15).Select(k => (byte)(k * 17)))),
        new("P5 2×64", Binary("P5 2 64 255\n", Enumerable.Range(0, 128).Select(k => (byte)(k * 2)))),
        new("P5 3×2 16-bit", Binary("P5 3 2 1000\n", [0, 0, 1, 0, 3, 232, 0, 7, 2, 0, 0, 100])),
        new("P1 4×3", Text("P1\n# bits\n4 3\n", [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1], 4)),
        new("P1 8×2 packed", Encoding.ASCII.GetBytes("P1 8 2\n01010101\n11001100\n")),
        new("P4 10×3", Binary("P4\n10 3\n", [0x80, 0x40, 0xFF, 0xC0, 0x12, 0x34])),
        new("P4 8×64", Binary("P4 8 64\n", Enumerable.Range(0, 64).Select(k => (byte)(k * 5)))),
        new("Fixtures/kat/bilevel.pbm", File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "kat", "bilevel.pbm"))),
    ];

    [Fact]
    public async Task Pgm_and_pbm_files_decode_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("pnm", Sources, (_, path) => ImageDecoder.Decode(path),
            typeof(DataFormatException), new MutationOptions { Check = (r, _) => PngMutationTests.CheckImage(r) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }
}
