using Digits.Core.Backends;
using Digits.Core.Data;

namespace Digits.Core.Training;

/// <summary>A dataset uploaded once to a backend: images (N, I) float and labels (N) int.</summary>
public sealed class DeviceDataset : IDisposable
{
    /// <summary>Uploads <paramref name="dataset"/> to <paramref name="backend"/>.</summary>
    public DeviceDataset(IBackend backend, Dataset dataset)
    {
        Source = dataset;
        Images = backend.Allocate<float>(dataset.Images.Length);
        try
        {
            Labels = backend.Allocate<int>(dataset.Count);
            backend.Upload<float>(dataset.Images, Images.View());
            backend.Upload<int>(dataset.Labels, Labels.View());
        }
        catch
        {
            Images.Dispose();
            Labels?.Dispose();
            throw;
        }
    }

    public Dataset Source { get; }
    public DeviceBuffer<float> Images { get; }
    public DeviceBuffer<int> Labels { get; }
    public int Count => Source.Count;
    public int Features => Source.Features;

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
