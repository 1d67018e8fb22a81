using System.Globalization;
using System.Runtime.InteropServices;
using Digits.Api.Onnx.Proto;
using Digits.Core.Backends;
using Digits.Core.Model;
using Google.Protobuf;

namespace Digits.Api.Onnx;

/// <summary>
/// Writes an <see cref="MlpModel"/> as an ONNX model (IR version <see cref="IrVersion"/>, default-domain opset
/// <see cref="Opset"/>) built with Google.Protobuf from classes generated out of <c>Onnx/onnx-subset.proto</c>.
/// <para>The graph: input <c>image</c>, float32 of shape (batch, I) with a symbolic batch dimension; per dense layer a
/// <c>Gemm</c> (x · Wᵀ + b, transB = 1, the weight kept (O, I) as Digits stores it) followed by the hidden activation
/// (<c>Relu</c>, <c>Sigmoid</c> or <c>Tanh</c>). Two outputs, both (batch, O): <c>logits</c> and
/// <c>probabilities</c> = <c>Softmax</c>(logits, axis 1) for a cross-entropy model; for a quadratic-cost (mse) model,
/// whose last layer is a sigmoid, <c>outputs</c> and <c>probabilities</c> = outputs / their sum over classes (the
/// same rule as <c>digits predict</c>).</para>
/// <para>Normalization is not in the graph: the input is what Digits feeds its own models, pixel / 255 as float32 in
/// [0, 1], row-major, white ink on black. It is stated in the input's doc string and in the metadata key
/// <c>normalization</c>. Every metadata key of the Digits model (class_names as a JSON list, dataset, architecture,
/// activation, loss, test_accuracy, history, …) becomes a model property (<c>metadata_props</c>).</para>
/// </summary>
public static class OnnxExport
{
    /// <summary>IR version 8 (ONNX 1.10 to 1.12): read by every ONNX Runtime since 1.10 and by onnx 1.12's checker.</summary>
    public const long IrVersion = 8;

    /// <summary>Opset 17 of the default domain (ONNX 1.12): Gemm-13, Relu-14, Sigmoid-13, Tanh-13, Softmax-13,
    /// ReduceSum-13, Div-14.</summary>
    public const long Opset = 17;

    /// <summary>The graph's input name.</summary>
    public const string InputName = "image";

    /// <summary>The probabilities output's name.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>What the input holds, as written into the model.</summary>
    public const string Normalization = "pixel / 255 as float32 in [0, 1], row-major, no mean or std shift";

    /// <summary>A protobuf message cannot exceed 2 GiB; larger models would need ONNX's external data, which Digits
    /// does not write.</summary>
    public const long MaxModelBytes = int.MaxValue - 1_000_000;

    /// <summary>The name of the first output: <c>logits</c> under cross-entropy, <c>outputs</c> (sigmoid) under the
    /// quadratic cost.</summary>
    public static string ScoresName(MlpSpec spec) => spec.Loss == LossKind.CrossEntropy ? "logits" : "outputs";

    /// <summary>Builds the ONNX model of <paramref name="model"/> and writes it to <paramref name="path"/> atomically
    /// (a temporary file in the same folder, flushed, then renamed over the target).</summary>
    /// <exception cref="NotSupportedException">the model cannot be expressed (the message says what).</exception>
    /// <exception cref="IOException">the file cannot be written.</exception>
    public static void Write(MlpModel model, string path)
    {
        byte[] bytes = ToBytes(model);
        OutputFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The serialized ONNX <c>ModelProto</c> of <paramref name="model"/>.</summary>
    /// <exception cref="NotSupportedException">the model cannot be expressed (the message says what).</exception>
    public static byte[] ToBytes(MlpModel model)
    {
        var proto = Build(model);
        long size = proto.CalculateSize();
        if (size > MaxModelBytes)
            throw new NotSupportedException($"the model ({model.Spec}) needs {size:N0} bytes as ONNX, more than the 2 GiB " +
                                            "a protobuf message holds; Digits does not write ONNX external data");
        return proto.ToByteArray();
    }

    internal static ModelProto Build(MlpModel model)
    {
        var spec = model.Spec;
        RequireExpressible(model);
        var graph = new GraphProto
        {
            Name = "digits_mlp",
            DocString = $"{spec}: Gemm (x·Wᵀ+b) per layer, {spec.Hidden.Name()} between layers; input {Normalization}.",
        };
        graph.Input.Add(TensorValue(InputName, spec.Inputs,
            $"(batch, {spec.Inputs}) float32 images, {Normalization}, white ink on black"));
        string scores = AddLayers(graph, model);
        AddProbabilities(graph, spec, scores);
        graph.Output.Add(TensorValue(ScoresName(spec), spec.Outputs, spec.Loss == LossKind.CrossEntropy
            ? "(batch, classes) logits: the last layer's x·Wᵀ+b"
            : "(batch, classes) sigmoid outputs of the last layer"));
        graph.Output.Add(TensorValue(ProbabilitiesName, spec.Outputs, spec.Loss == LossKind.CrossEntropy
            ? "(batch, classes) softmax of the logits; each row sums to 1"
            : "(batch, classes) sigmoid outputs divided by their sum: ranks as the outputs, not calibrated"));

        var result = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "digits",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            Domain = "digits",
            ModelVersion = 1,
            DocString = $"A Digits MLP {spec}. Input '{InputName}' (batch, {spec.Inputs}): {Normalization}. " +
                        $"Outputs '{ScoresName(spec)}' and '{ProbabilitiesName}', (batch, {spec.Outputs}).",
            Graph = graph,
        };
        result.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in Properties(model))
            result.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return result;
    }

    /// <summary>Refuses a model this export cannot write: parameters past a protobuf message's 2 GiB, NaN or infinite
    /// parameters, or an activation with no ONNX operator here.</summary>
    /// <exception cref="NotSupportedException">the model cannot be expressed (the message says what).</exception>
    private static void RequireExpressible(MlpModel model)
    {
        var spec = model.Spec;
        long parameterBytes = (long)model.Parameters.Length * sizeof(float);
        if (parameterBytes > MaxModelBytes)
            throw new NotSupportedException($"the model ({spec}) has {parameterBytes:N0} bytes of parameters, more than the " +
                                            "2 GiB a protobuf message holds; Digits does not write ONNX external data");
        foreach (float v in model.Parameters)
            if (!float.IsFinite(v))
                throw new NotSupportedException($"the model ({spec}) has NaN or infinite parameters; nothing sensible to export");
        for (int l = 0; l < spec.Layers; l++)
            if (spec.ActivationOf(l) is not (Activation.Identity or Activation.Relu or Activation.Sigmoid or Activation.Tanh))
                throw new NotSupportedException($"layer {l}'s activation {spec.ActivationOf(l)} has no ONNX operator here");
    }

    /// <summary>Adds each dense layer to <paramref name="graph"/>: its weight (O, I) and bias (O) as initializers, a
    /// <c>Gemm</c> with transB = 1, then its activation unless identity. Returns the last layer's output: the scores
    /// (<see cref="ScoresName"/>).</summary>
    private static string AddLayers(GraphProto graph, MlpModel model)
    {
        var (spec, layout) = (model.Spec, model.Layout);
        string x = InputName;
        for (int l = 0; l < spec.Layers; l++)
        {
            string w = $"layers.{l}.weight", b = $"layers.{l}.bias";
            graph.Initializer.Add(FloatTensor(w, [spec.Widths[l + 1], spec.Widths[l]],
                model.Parameters.AsSpan(layout.WeightOffset(l), layout.WeightLength(l))));
            graph.Initializer.Add(FloatTensor(b, [spec.Widths[l + 1]],
                model.Parameters.AsSpan(layout.BiasOffset(l), layout.BiasLength(l))));
            bool last = l == spec.Layers - 1;
            var activation = spec.ActivationOf(l);
            string linear = last && activation == Activation.Identity ? ScoresName(spec) : $"layers.{l}.linear";
            var gemm = Node("Gemm", $"layers.{l}.gemm", [x, w, b], [linear]);
            gemm.Attribute.Add(IntAttribute("transB", 1));
            graph.Node.Add(gemm);
            x = linear;
            if (activation == Activation.Identity) continue;
            string activated = last ? ScoresName(spec) : $"layers.{l}.{activation.Name()}";
            graph.Node.Add(Node(OperatorOf(activation), $"layers.{l}.activation", [x], [activated]));
            x = activated;
        }
        return x;
    }

    /// <summary>Adds the <see cref="ProbabilitiesName"/> output computed from <paramref name="scores"/>: their softmax
    /// over classes under cross-entropy, else the sigmoid outputs divided by their sum over classes.</summary>
    private static void AddProbabilities(GraphProto graph, MlpSpec spec, string scores)
    {
        if (spec.Loss == LossKind.CrossEntropy)
        {
            var softmax = Node("Softmax", "softmax", [scores], [ProbabilitiesName]);
            softmax.Attribute.Add(IntAttribute("axis", 1));
            graph.Node.Add(softmax);
            return;
        }
        var axes = new TensorProto { Name = "class_axis", DataType = (int)TensorProto.Types.DataType.Int64 };
        axes.Dims.Add(1);
        axes.Int64Data.Add(1);
        graph.Initializer.Add(axes);
        var sum = Node("ReduceSum", "sum_over_classes", [scores, "class_axis"], ["sum_over_classes"]);
        sum.Attribute.Add(IntAttribute("keepdims", 1));
        graph.Node.Add(sum);
        graph.Node.Add(Node("Div", "normalize", [scores, "sum_over_classes"], [ProbabilitiesName]));
    }

    /// <summary>The model properties (<c>metadata_props</c>), sorted by key: the Digits model's metadata, its
    /// architecture, activation, loss and normalization, the graph's input and output names, and class names
    /// (0 to O − 1 when the model names none); not <c>format</c>, which describes the safetensors file.</summary>
    private static SortedDictionary<string, string> Properties(MlpModel model)
    {
        var spec = model.Spec;
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in model.Metadata) metadata[key] = value;
        metadata["architecture"] = string.Join(',', spec.Widths);
        metadata["activation"] = spec.Hidden.Name();
        metadata["loss"] = spec.Loss.Name();
        metadata["normalization"] = model.Metadata.GetValueOrDefault("normalization") ?? Normalization;
        metadata["onnx_input"] = InputName;
        metadata["onnx_outputs"] = $"{ScoresName(spec)},{ProbabilitiesName}";
        if (!metadata.ContainsKey("class_names"))
            metadata["class_names"] = System.Text.Json.JsonSerializer.Serialize(
                Enumerable.Range(0, spec.Outputs).Select(c => c.ToString(CultureInfo.InvariantCulture)));
        metadata.Remove("format"); // "digits-mlp/1" describes the safetensors file, not this one
        return metadata;
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static string OperatorOf(Activation activation) => activation switch
    {
        Activation.Relu => "Relu",
        Activation.Sigmoid => "Sigmoid",
        Activation.Tanh => "Tanh",
        _ => throw new NotSupportedException($"activation {activation} has no ONNX operator here"),
    };

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    /// <summary>A float32 (batch, <paramref name="width"/>) value whose batch dimension is the symbol "batch".</summary>
    private static ValueInfoProto TensorValue(string name, int width, string doc)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            DocString = doc,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }

    /// <summary>An initializer with its floats as little-endian <c>raw_data</c>, as the ONNX spec requires.</summary>
    private static TensorProto FloatTensor(string name, long[] dims, ReadOnlySpan<float> data)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        if (BitConverter.IsLittleEndian)
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data));
        else
        {
            var bytes = new byte[data.Length * sizeof(float)];
            for (int k = 0; k < data.Length; k++)
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(k * 4), data[k]);
            tensor.RawData = ByteString.CopyFrom(bytes);
        }
        return tensor;
    }
}
