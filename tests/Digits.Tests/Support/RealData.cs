using Digits.Core.Data;
using Xunit;

namespace Digits.Tests.Support;

/// <summary>Real MNIST from $DIGITS_DATA, loaded once. Skips with the reason when DIGITS_DATA is unset (outside CI);
/// a DIGITS_DATA that does not hold the data, or CI=true without it, is a failure (see <see cref="DataRoot"/>).
/// </summary>
public static class RealData
{
    private static readonly Lazy<(DatasetSplits? Splits, string Reason)> Mnist = new(() =>
    {
        string? root = Environment.GetEnvironmentVariable(DataLocator.EnvironmentVariable);
        if (string.IsNullOrEmpty(root)) return (null, DataRoot.NotSetReason);
        try
        {
            return (DatasetLoader.Load(new DatasetSpec.Named(DatasetCatalog.Mnist), DataLocator.Resolve(root),
                allowDownload: false, progress: null, validationCount: 0, seed: 1), "");
        }
        catch (DataUnavailableException e)
        {
            return (null, e.Message);
        }
    });

    public static DatasetSplits RequireMnist()
    {
        var (splits, reason) = Mnist.Value;
        if (splits is not null) return splits;
        DataRoot.Unavailable(reason);
        return null!;
    }
}
