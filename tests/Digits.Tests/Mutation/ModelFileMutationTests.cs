using System.Buffers.Binary;
using System.Text.Json;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>
/// <see cref="SafeTensors.Read"/> and <see cref="ModelFile.Load"/> under thousands of mutations of small saved models:
/// each must load sanely (tensors that fill the data exactly; a model whose parameters fit its architecture and
/// whose metadata agrees with it) or throw a <see cref="ModelFormatException"/> naming the file. The JSON header's
/// numbers (shapes, data_offsets, the architecture) are inflated by the mutator's ASCII-number replacement, the
/// 8-byte header length as a field.
/// </summary>
public sealed class ModelFileMutationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-model-mutation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Field[] Fields = [new("header length", 0, 8, BigEndian: false)];

    private MutationSource Saved(string name, MlpSpec spec, Dictionary<string, string> metadata)
    {
        var model = MlpModel.Initialize(spec, seed: 5);
        foreach (var (k, v) in metadata) model.Metadata[k] = v;
        string path = Path.Combine(_dir, $"{name}.safetensors");
        ModelFile.Save(path, model);
        return new MutationSource(name, File.ReadAllBytes(path), Fields);
    }

    private MutationSource[] Sources =>
    [
        Saved("6-4-3 relu", new MlpSpec([6, 4, 3], Activation.Relu, LossKind.CrossEntropy), new()
        {
            ["input_shape"] = "2,3", ["class_names"] = JsonSerializer.Serialize(new[] { "a", "b", "c" }),
            ["dataset"] = "csv:x.csv", ["seed"] = "7",
        }),
        Saved("4-2 sigmoid mse", new MlpSpec([4, 2], Activation.Sigmoid, LossKind.Quadratic), new()),
        Saved("784-2-10 tanh", new MlpSpec([784, 2, 10], Activation.Tanh, LossKind.CrossEntropy), new()
        {
            ["input_shape"] = "28,28", ["class_names"] = JsonSerializer.Serialize(Enumerable.Range(0, 10).Select(k => $"{k}")),
        }),
    ];

    [Fact]
    public async Task Safetensors_files_read_sanely_or_give_a_ModelFormatException()
    {
        var report = await MutationRun.RunAsync("safetensors", Sources, (_, path) => SafeTensors.Read(path),
            typeof(ModelFormatException), new MutationOptions
            {
                Check = (r, file) =>
                {
                    var (tensors, _) = ((List<NamedTensor>, Dictionary<string, string>))r!;
                    long header = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
                    Assert.Equal(file.Length - 8 - header, tensors.Sum(t => 4L * t.Data.Length));
                    foreach (var t in tensors)
                        Assert.Equal(t.Shape.Aggregate(1L, (a, d) => a * d), t.Data.Length);
                    Assert.Equal(tensors.Count, tensors.Select(t => t.Name).Distinct().Count());
                },
            });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    [Fact]
    public async Task Model_files_load_sanely_or_give_a_ModelFormatException()
    {
        var report = await MutationRun.RunAsync("model", Sources, (_, path) => ModelFile.Load(path),
            typeof(ModelFormatException), new MutationOptions { Check = (r, file) => CheckModel(r, file) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    /// <summary>A loaded model: parameters fill its layout and the file's data exactly, and metadata that describes
    /// the architecture agrees with it.</summary>
    internal static void CheckModel(object? result, byte[] file)
    {
        var model = Assert.IsType<MlpModel>(result);
        Assert.Equal(model.Layout.Count, model.Parameters.Length);
        long header = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(file.Length - 8 - header, 4L * model.Parameters.Length);
        Assert.Equal(string.Join(',', model.Spec.Widths), model.Metadata["architecture"]);
        if (model.Metadata.TryGetValue("input_shape", out var shape))
            Assert.Equal(model.Spec.Inputs, shape.Split(',').Select(int.Parse).Aggregate(1, (a, d) => a * d));
        if (model.Metadata.TryGetValue("class_names", out var names))
            Assert.Equal(model.Spec.Outputs, JsonSerializer.Deserialize<string[]>(names)!.Length);
    }
}
