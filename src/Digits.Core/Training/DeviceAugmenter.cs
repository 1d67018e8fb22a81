using Digits.Core.Backends;

namespace Digits.Core.Training;

/// <summary>
/// Augments mini-batches on a backend: owns the Gaussian weights and the field scratch, sized once for the largest
/// batch, so a step allocates and uploads nothing.
/// </summary>
public sealed class DeviceAugmenter : IDisposable
{
    private readonly IBackend _backend;
    private readonly DeviceBuffer<float> _gaussian, _field;
    private readonly AugmentParameters _parameters;

    /// <summary>For images of <paramref name="height"/>×<paramref name="width"/>, batches up to
    /// <paramref name="maxBatch"/>; <paramref name="seed"/> keys the draws.</summary>
    public DeviceAugmenter(IBackend backend, AugmentOptions options, ulong seed, int height, int width, int maxBatch)
    {
        options.Validate();
        _backend = backend;
        _parameters = options.Parameters(seed, height, width);
        float[] taps = options.GaussianTaps();
        _gaussian = backend.Allocate<float>(taps.Length);
        try
        {
            backend.Upload<float>(taps, _gaussian.View());
            _field = backend.Allocate<float>(checked((int)_parameters.FieldLength(maxBatch)));
        }
        catch
        {
            _gaussian.Dispose();
            throw;
        }
        MaxBatch = maxBatch;
    }

    public int MaxBatch { get; }

    /// <summary>The op's constants.</summary>
    public AugmentParameters Parameters => _parameters;

    /// <summary>Augments <paramref name="batch"/> images of x into y at the step counter[1] gives.</summary>
    public void Apply(BufferView<float> x, BufferView<int> counter, int batch, BufferView<float> y) =>
        _backend.Augment(x, counter, _parameters, batch, _gaussian.View(), _field.View(), y);

    public void Dispose()
    {
        _field?.Dispose();
        _gaussian.Dispose();
    }
}
