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
        { "offsets-overlap", "tensor 'layers.0.bias' starts at byte 94000, expected 94080 (gap or overlap)" },
        { "huge-architecture", "tensor 'layers.0.weight' has shape [30,784]; the architecture says [1048576,784]" },
        { "overflowing-architecture", "architecture 1048576,1048576,1048576 has more parameters than one buffer holds" },
        { "unknown-tensor", "tensor 'layers.1.gamma' is not part of architecture 784,30,10, whose tensors are layers.0.weight … layers.1.bias" },
        { "missing-tensor", "tensor 'layers.1.bias' is missing (architecture 784,30,10)" },
        { "duplicate-tensor", "header is not valid JSON" },
        { "invalid-utf8", "header is not valid UTF-8 text" },
        { "lone-surrogate", "is not valid text" },
        { "input-shape-disagrees", "metadata input_shape '20,20' is 400 pixels per image but the architecture 784,30,10 takes 784 inputs; the metadata and tensors disagree" },
        { "input-shape-malformed", "metadata input_shape '28x28' is not a list of sizes like '28,28'" },
        { "class-names-disagree", "metadata class_names lists 2 classes but the architecture 784,30,10 has 10 outputs; the metadata and tensors disagree" },
        { "class-names-malformed", "metadata class_names is not a JSON list of strings" },
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
            "offsets-overlap" => Rebuild(header.Replace("[94080,94200]", "[94000,94120]"), data),
            "huge-architecture" => Rebuild(header.Replace("784,30,10", "784,1048576,10"), data),
            "overflowing-architecture" => Rebuild(header.Replace("784,30,10", "1048576,1048576,1048576"), data),
            "unknown-tensor" => Rebuild(header.Replace("layers.1.bias", "layers.1.gamma"), data),
            "missing-tensor" => Rebuild(Without(header, "layers.1.bias"), data[..^40]),
            "duplicate-tensor" => Rebuild(header.Replace("layers.1.bias", "layers.0.bias"), data),
            "invalid-utf8" => Patch(bytes, b => b[8 + header.IndexOf("layers", StringComparison.Ordinal)] = 0xFF),
            "lone-surrogate" => Rebuild(header.Replace("\"architecture\"", "\"\\udc00\":\"\",\"architecture\""), data),
            "input-shape-disagrees" => Rebuild(WithMetadata(header, "\"input_shape\":\"20,20\""), data),
            "input-shape-malformed" => Rebuild(WithMetadata(header, "\"input_shape\":\"28x28\""), data),
            "class-names-disagree" => Rebuild(WithMetadata(header, "\"class_names\":\"[\\\"a\\\",\\\"b\\\"]\""), data),
            "class-names-malformed" => Rebuild(WithMetadata(header, "\"class_names\":\"seven\""), data),
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

    /// <summary>The header without tensor <paramref name="name"/>'s entry.</summary>
    private static string Without(string header, string name)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(header)!.AsObject();
        json.Remove(name);
        return json.ToJsonString();
    }

    private static string WithMetadata(string header, string entry) =>
        header.Replace("\"__metadata__\":{", "\"__metadata__\":{" + entry + ",");

    [Fact]
    public void A_huge_architecture_is_refused_without_allocating_for_it()
    {
        string good = Path.Combine(_dir, "good.safetensors");
        ModelFile.Save(good, Sample());
        byte[] bytes = File.ReadAllBytes(good);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, n).Replace("784,30,10", "784,1048576,10");
        string bad = Path.Combine(_dir, "huge.safetensors");
        File.WriteAllBytes(bad, Rebuild(header, bytes[(8 + n)..]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<ModelFormatException>(() => ModelFile.Load(bad));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 * bytes.Length + (1 << 20), $"allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte file");
    }

    [Fact]
    public void Metadata_that_agrees_with_the_architecture_loads()
    {
        var model = Sample();
        model.Metadata["input_shape"] = "28,28";
        model.Metadata["class_names"] = "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]";
        string path = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(path, model);
        Assert.Equal("28,28", ModelFile.Load(path).Metadata["input_shape"]);
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
