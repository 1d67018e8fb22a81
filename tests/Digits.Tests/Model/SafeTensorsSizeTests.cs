using System.Buffers.Binary;
using System.Text;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Export;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Model;

/// <summary>
/// Issue 24: a tensor over 4 GB ended <c>import</c> with "unexpected OverflowException", exit 1: its bytes did not fit
/// one span. Tensors are now read and written in pieces of <see cref="SafeTensors.ChunkBytes"/> (so any tensor one
/// array holds reads back), and one with more values than an array holds is refused in one line, exit 2, before
/// anything is allocated.
/// </summary>
public sealed class SafeTensorsSizeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-safetensors-size-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A sparse file (no disk used) whose header claims one F32 tensor '0.weight' of <paramref name="shape"/>
    /// and whose length is exactly what that tensor takes.</summary>
    private string Claiming(params long[] shape)
    {
        long bytes = 4 * shape.Aggregate(1L, (a, d) => a * d);
        string json = $"{{\"0.weight\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(',', shape)}],\"data_offsets\":[0,{bytes}]}}}}";
        json = json.PadRight((json.Length + 7) / 8 * 8);
        string path = Path.Combine(_dir, "huge.safetensors");
        using var file = new FileStream(path, FileMode.Create);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(Encoding.ASCII.GetBytes(json));
        file.SetLength(8 + json.Length + bytes);
        return path;
    }

    [Fact]
    public void A_tensor_with_more_values_than_one_array_holds_is_refused_before_it_is_allocated()
    {
        string path = Claiming(65536, 65536); // 2³² values, 16 GiB
        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));
        Assert.Equal("huge.safetensors: tensor '0.weight' (shape [65536,65536]) holds 4,294,967,296 values, more than " +
                     $"the {Array.MaxLength:N0} one tensor may hold", e.Message);
        var (code, output, err) = DigitsCli.Run("import", "--input", path, "--activation", "relu", "--output",
            Path.Combine(_dir, "out.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: --input: {e.Message}", err.TrimEnd());
        Assert.Equal("", output);
    }

    /// <summary>The piecewise read and write at a size that crosses pieces: a 784-6000-10 model (a weight of 18.8 MB,
    /// more than one piece and not a multiple of it) saves and loads bit for bit.</summary>
    [Fact]
    public void Tensors_larger_than_one_piece_write_and_read_back_bit_for_bit()
    {
        var spec = new MlpSpec([784, 6000, 10], Activation.Relu, LossKind.CrossEntropy);
        Assert.True(4L * 784 * 6000 > SafeTensors.ChunkBytes && 4L * 784 * 6000 % SafeTensors.ChunkBytes != 0);
        var model = MlpModel.Initialize(spec, 3);
        string path = Path.Combine(_dir, "wide.safetensors");
        ModelFile.Save(path, model);
        Assert.True(model.Parameters.AsSpan().SequenceEqual(ModelFile.Load(path).Parameters));
    }

    /// <summary>F16 and BF16 tensors of more than one piece (values that are exact in each) are widened exactly.</summary>
    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Half_precision_tensors_larger_than_one_piece_are_widened_exactly(string dtype)
    {
        int count = SafeTensors.ChunkBytes / 2 + 12_345;
        float[] values = Enumerable.Range(0, count).Select(k => (k % 511 - 255) / 64f).ToArray();
        string path = Path.Combine(_dir, $"{dtype}.safetensors");
        File.WriteAllBytes(path, TorchLayoutTests.PyTorchFile(("0.weight", dtype, [count], values)));
        var (tensors, _) = SafeTensors.Read(path);
        Assert.True(values.AsSpan().SequenceEqual(Assert.Single(tensors).Data));
    }
}
