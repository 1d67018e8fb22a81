using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Imaging;

namespace Digits.Api;

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
    private readonly InferenceNetwork _network;
    private readonly Lock _lock = new();
    private readonly string[] _classNames;
    private bool _disposed;

    private DigitClassifier(MlpModel model, IBackend backend)
    {
        Model = model;
        _backend = backend;
        try
        {
            _network = new InferenceNetwork(backend, model, MaxBatch);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
        _classNames = Core.Model.ClassNames.Of(model);
    }

    /// <summary>
    /// Loads a model file: a Digits model (<c>digits train --output</c>) or a PyTorch nn.Sequential file whose metadata
    /// names its activation (see <c>digits import</c>), and puts it on <paramref name="device"/>.
    /// </summary>
    /// <param name="modelPath">The .safetensors file.</param>
    /// <param name="device"><c>cpu</c> (default: SIMD on every core), <c>reference</c> (plain loops), <c>cuda[:N]</c>,
    /// <c>opencl[:N]</c> or <c>ilgpu-cpu</c> (see <see cref="DeviceName"/>).</param>
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
        return ProbabilitiesOf(image)[0];
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
        return ProbabilitiesOf(images).Select(ToPrediction).ToArray();
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

    private float[][] ProbabilitiesOf(ReadOnlySpan<float> images)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _network.Probabilities(images);
        }
    }

    private Prediction ToPrediction(float[] p)
    {
        int best = 0;
        for (int c = 1; c < p.Length; c++)
            if (p[c] > p[best]) best = c;
        return new Prediction(best, _classNames[best], p);
    }

    private static IBackend Open(string device)
    {
        DeviceName name;
        try
        {
            name = DeviceName.Parse(device);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(device), e);
        }
        if (!name.TryOpen(0, out var backend, out string reason))
            throw new NotSupportedException($"device {name} cannot be used here: {reason}");
        return backend!;
    }
}
