using System.Text.Json;
using Digits.Core.Backends;
using Digits.Imaging;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Gpu;

namespace Digits.Api;

/// <summary>One image's result: the most probable class, its name, and every class's probability.</summary>
/// <param name="Class">The predicted class index, 0 ≤ Class &lt; number of classes.</param>
/// <param name="Name">Its name from the model's <c>class_names</c> ("7" for MNIST, "Sneaker" for Fashion-MNIST).</param>
/// <param name="Probabilities">One value per class, each in [0, 1], summing to 1 (up to float rounding).</param>
public sealed record Prediction(int Class, string Name, float[] Probabilities)
{
    /// <summary>The probability of the predicted class.</summary>
    public float Confidence => Probabilities[Class];
}

/// <summary>
/// Classifies digit images with a model trained by Digits (or imported from PyTorch). Load once, classify many; the
/// model's parameters stay on the chosen device. Thread-safe: calls are serialized.
/// <para>Inputs: an image is I = 784 floats (28×28, row-major, top row first), each the pixel's ink level in [0, 1]
/// as in MNIST: 0 = background (black), 1 = ink (white), i.e. byte / 255. Image files are turned into that by
/// <see cref="LoadImage"/>, the preprocessing <c>digits predict</c> uses.</para>
/// <para>Probabilities: the softmax of the logits for a cross-entropy model; for a quadratic-cost (mse) model the
/// sigmoid outputs divided by their sum (ranks the same, not calibrated).</para>
/// </summary>
public sealed class DigitClassifier : IDisposable
{
    /// <summary>Images run through the device in chunks of at most this many.</summary>
    public const int MaxBatch = 1024;

    private readonly IBackend _backend;
    private readonly DeviceNetwork _network;
    private readonly Lock _lock = new();
    private readonly string[] _classNames;
    private bool _disposed;

    private DigitClassifier(MlpModel model, IBackend backend)
    {
        Model = model;
        _backend = backend;
        try
        {
            _network = new DeviceNetwork(backend, model, MaxBatch, OptimizerKind.Sgd);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
        _classNames = ClassNamesOf(model);
    }

    /// <summary>
    /// Loads a model file: a Digits model (<c>digits train --output</c>) or a PyTorch nn.Sequential file whose metadata
    /// names its activation (see <c>digits import</c>), and puts it on <paramref name="device"/>.
    /// </summary>
    /// <param name="modelPath">The .safetensors file.</param>
    /// <param name="device"><c>cpu</c> (default: SIMD on every core), <c>reference</c> (plain loops), <c>cuda[:N]</c>,
    /// <c>opencl[:N]</c> or <c>ilgpu-cpu</c>.</param>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="ModelFormatException">not a model file Digits reads; the message says why.</exception>
    /// <exception cref="ArgumentException"><paramref name="device"/> is not a device name.</exception>
    /// <exception cref="NotSupportedException">the device is not on this machine; the message says why.</exception>
    public static DigitClassifier Load(string modelPath, string device = "cpu") => new(ModelFile.Load(modelPath), Open(device));

    /// <summary>Runs an already loaded <paramref name="model"/> on <paramref name="device"/> (see
    /// <see cref="Load(string, string)"/> for the names).</summary>
    public static DigitClassifier Create(MlpModel model, string device = "cpu") => new(model, Open(device));

    /// <summary>The model: its <see cref="MlpSpec"/>, parameters and metadata.</summary>
    public MlpModel Model { get; }

    /// <summary>Inputs per image, I (784 for MNIST).</summary>
    public int Inputs => Model.Spec.Inputs;

    /// <summary>Names of the classes, one per output.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>The device the model runs on, e.g. "cpu".</summary>
    public string Device => _backend.Name;

    /// <summary>Class probabilities of one image.</summary>
    /// <param name="image">I floats (28×28 row-major for MNIST), ink levels in [0, 1].</param>
    /// <returns>One probability per class.</returns>
    /// <exception cref="ArgumentException"><paramref name="image"/> does not hold exactly <see cref="Inputs"/> values.</exception>
    public float[] Probabilities(ReadOnlySpan<float> image)
    {
        if (image.Length != Inputs)
            throw new ArgumentException($"an image is {Inputs} floats for this model, got {image.Length}", nameof(image));
        return ProbabilitiesOf(image, 1)[0];
    }

    /// <summary>Classifies one image: <paramref name="image"/> is I floats in [0, 1] (see the class summary).</summary>
    /// <exception cref="ArgumentException"><paramref name="image"/> does not hold exactly <see cref="Inputs"/> values.</exception>
    public Prediction Classify(ReadOnlySpan<float> image) => ToPrediction(Probabilities(image));

    /// <summary>Classifies many images at once: <paramref name="images"/> is (N, I) row-major, N = length / I.</summary>
    /// <exception cref="ArgumentException">the length is not a multiple of <see cref="Inputs"/>.</exception>
    public Prediction[] ClassifyBatch(ReadOnlySpan<float> images)
    {
        if (images.Length % Inputs != 0)
            throw new ArgumentException($"images hold {images.Length} floats, not a multiple of {Inputs} per image", nameof(images));
        return ProbabilitiesOf(images, images.Length / Inputs).Select(ToPrediction).ToArray();
    }

    /// <summary>Decodes an image file (PNG, JPEG, WebP, GIF, BMP, ICO, PGM or PBM, recognized by its bytes) and classifies it after the same
    /// preprocessing as <c>digits predict</c> (<see cref="LoadImage"/>).</summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="Digits.Core.Data.DataFormatException">not a supported or a malformed image.</exception>
    /// <exception cref="NotSupportedException">the model does not take 28×28 images.</exception>
    public Prediction ClassifyFile(string imagePath)
    {
        if (Inputs != MnistFraming.Side * MnistFraming.Side)
            throw new NotSupportedException($"the model ({Model.Spec}) takes {Inputs} inputs, not the 28×28 images " +
                                            "an image file is turned into");
        return Classify(LoadImage(imagePath));
    }

    /// <summary>
    /// An image file made MNIST-like, as <c>digits predict</c> does: decoded (PNG, JPEG, WebP, GIF, BMP, ICO, PGM, PBM), turned to gray, inverted
    /// when its border is light, cropped to the ink, scaled to 20 pixels, centered by mass in 28×28.
    /// </summary>
    /// <returns>784 floats, row-major, in [0, 1], 1 = ink.</returns>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="Digits.Core.Data.DataFormatException">not a supported or a malformed image.</exception>
    public static float[] LoadImage(string imagePath) => MnistPreprocessor.Process(ImageDecoder.Decode(imagePath));

    /// <summary>Releases the device memory and the backend.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _network.Dispose();
            _backend.Dispose();
        }
    }

    private float[][] ProbabilitiesOf(ReadOnlySpan<float> images, int count)
    {
        int features = Inputs, classes = Model.Spec.Outputs;
        var result = new float[count][];
        var outputs = new float[Math.Min(count, MaxBatch) * classes];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (int start = 0; start < count; start += MaxBatch)
            {
                int n = Math.Min(MaxBatch, count - start);
                var x = _network.Input.View(0, n * features);
                _backend.Upload(images.Slice(start * features, n * features), x);
                _network.Forward(x, n);
                _backend.Download(_network.Outputs(n), outputs.AsSpan(0, n * classes));
                for (int k = 0; k < n; k++) result[start + k] = Normalize(outputs.AsSpan(k * classes, classes), Model.Spec.Loss);
            }
        }
        return result;
    }

    private Prediction ToPrediction(float[] p)
    {
        int best = 0;
        for (int c = 1; c < p.Length; c++)
            if (p[c] > p[best]) best = c;
        return new Prediction(best, _classNames[best], p);
    }

    /// <summary>Softmax of logits (cross-entropy); sigmoid outputs divided by their sum (mse).</summary>
    internal static float[] Normalize(ReadOnlySpan<float> outputs, LossKind loss) => OutputProbabilities.From(outputs, loss);

    private static string[] ClassNamesOf(MlpModel model)
    {
        try
        {
            if (model.Metadata.TryGetValue("class_names", out var json) &&
                JsonSerializer.Deserialize<string[]>(json) is { } names && names.Length == model.Spec.Outputs &&
                names.All(n => n is not null))
                return names;
        }
        catch (JsonException)
        {
            // numbers below
        }
        return Enumerable.Range(0, model.Spec.Outputs).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static IBackend Open(string device)
    {
        string name = device.Trim().ToLowerInvariant();
        switch (name)
        {
            case "cpu": return new CpuBackend();
            case "reference": return new ReferenceBackend();
        }
        if (!(name.StartsWith("cuda", StringComparison.Ordinal) || name.StartsWith("opencl", StringComparison.Ordinal) ||
              name == "ilgpu-cpu"))
            throw new ArgumentException($"'{device}' is not a device; use cpu, reference, cuda[:N], opencl[:N] or ilgpu-cpu",
                nameof(device));
        if (!IlgpuDevices.TryCreate(name, out var gpu, out string reason))
            throw new NotSupportedException($"device {name} cannot be used here: {reason}");
        return gpu!;
    }
}
