using System.Buffers.Binary;
using System.Text;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Model;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static MlpModel Sample(Activation act = Activation.Relu, LossKind loss = LossKind.CrossEntropy) =>
        MlpModel.Initialize(new MlpSpec([784, 30, 10], act, loss), seed: 3);

    private static int[] Predict(MlpModel model, float[] x, int batch)
    {
        using var backend = new ReferenceBackend();
        using var net = new DeviceNetwork(backend, model, batch, OptimizerKind.Sgd);
        backend.Upload<float>(x, net.Input.View(0, x.Length));
        net.Forward(net.Input.View(0, x.Length), batch);
        using var p = backend.Allocate<int>(batch);
        backend.Argmax(net.Outputs(batch), batch, model.Spec.Outputs, p.View());
        var result = new int[batch];
        backend.Download(p.View(), result);
        return result;
    }

    [Theory]
    [InlineData(Activation.Relu, LossKind.CrossEntropy)]
    [InlineData(Activation.Sigmoid, LossKind.Quadratic)]
    public void Round_trip_keeps_parameters_metadata_and_predictions(Activation act, LossKind loss)
    {
        var model = Sample(act, loss);
        model.Metadata["dataset"] = "mnist";
        model.Metadata["test_accuracy"] = "0.9812";
        string path = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(path, model);
        var loaded = ModelFile.Load(path);
        Assert.Equal(model.Spec, loaded.Spec);
        Assert.Equal(model.Parameters, loaded.Parameters);
        Assert.Equal("mnist", loaded.Metadata["dataset"]);
        Assert.Equal("784,30,10", loaded.Metadata["architecture"]);
        float[] x = TestData.Uniform(new Random(1), 20 * 784, 0, 1);
        Assert.Equal(Predict(model, x, 20), Predict(loaded, x, 20));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void File_layout_is_standard_safetensors()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(path, Sample());
        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        Assert.Contains("\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[30,784]", header);
        Assert.Contains("\"__metadata__\"", header);
        Assert.Equal(0, (int)n % 8);
        Assert.Equal(8 + (long)n + (784 * 30 + 30 + 30 * 10 + 10) * 4, bytes.Length);
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "truncated-header", "too short for a safetensors header" },
        { "huge-header-length", "header length" },
        { "bad-json", "not valid JSON" },
        { "truncated-data", "data_offsets outside" },
        { "extra-data", "tensors cover" },
        { "wrong-dtype", "dtype F16" },
        { "arch-disagrees", "the architecture says [20,784]" },
        { "missing-metadata", "metadata has no 'architecture'" },
        { "offsets-outside", "data_offsets outside" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupted_files_give_a_ModelFormatException_naming_the_file(string corruption, string expected)
    {
        string good = Path.Combine(_dir, "good.safetensors");
        ModelFile.Save(good, Sample());
        byte[] bytes = File.ReadAllBytes(good);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, n);
        byte[] data = bytes[(8 + n)..];
        byte[] result = corruption switch
        {
            "truncated-header" => bytes[..5],
            "huge-header-length" => Patch(bytes, b => BinaryPrimitives.WriteUInt64LittleEndian(b, 1UL << 40)),
            "bad-json" => Rebuild(header.Replace("{\"", "{{\""), data),
            "truncated-data" => bytes[..^4],
            "extra-data" => [.. bytes, 1, 2, 3, 4],
            "wrong-dtype" => Rebuild(header.Replace("\"F32\"", "\"F16\""), data),
            "arch-disagrees" => Rebuild(header.Replace("\"architecture\":\"784,30,10\"", "\"architecture\":\"784,20,10\""), data),
            "missing-metadata" => Rebuild(header.Replace("\"architecture\"", "\"xrchitecture\""), data),
            "offsets-outside" => Rebuild(header.Replace("[0,94080]", "[0,99999999]"), data),
            _ => throw new ArgumentException(corruption),
        };
        string bad = Path.Combine(_dir, $"{corruption}.safetensors");
        File.WriteAllBytes(bad, result);
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(bad));
        Assert.StartsWith($"{corruption}.safetensors: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Saving_over_a_model_replaces_it_whole()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(path, Sample(Activation.Tanh));
        ModelFile.Save(path, Sample(Activation.Sigmoid));
        Assert.Equal(Activation.Sigmoid, ModelFile.Load(path).Spec.Hidden);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Save_into_a_missing_folder_fails_and_leaves_nothing()
    {
        string path = Path.Combine(_dir, "no-such-folder", "m.safetensors");
        Assert.ThrowsAny<IOException>(() => ModelFile.Save(path, Sample()));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    private static byte[] Patch(byte[] bytes, Action<Span<byte>> patch)
    {
        var copy = (byte[])bytes.Clone();
        patch(copy);
        return copy;
    }

    private static byte[] Rebuild(string header, byte[] data)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var result = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)h.Length);
        h.CopyTo(result, 8);
        data.CopyTo(result, 8 + h.Length);
        return result;
    }
}
