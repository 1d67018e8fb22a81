using Digits.Imaging;
using Digits.Tests.Images;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>The quick model on <see cref="PhotoSet"/> photos of MNIST test digits against the same digits as MNIST
/// stores them. DIGITS_PHOTOS sets how many (default 40, four of them 4000×3000: about 10 seconds; the README's figure used 1000).</summary>
public sealed class PhotoTests(QuickModel quick) : IClassFixture<QuickModel>
{
    /// <summary>The test's quick model, or the model file named by DIGITS_TEST_MODEL (for the README's figures).</summary>
    private Digits.Core.Model.MlpModel Model =>
        Environment.GetEnvironmentVariable("DIGITS_TEST_MODEL") is { Length: > 0 } path ? Digits.Core.Model.ModelFile.Load(path) : quick.Model;

    [Fact]
    public void Photos_of_test_digits_score_close_to_the_digits_themselves()
    {
        var test = RealData.RequireMnist().Test;
        int count = int.TryParse(Environment.GetEnvironmentVariable("DIGITS_PHOTOS"), out int n) && n > 0 ? n : 40;
        var output = TestContext.Current.TestOutputHelper!;
        // spread over the test set: index 167·k mod 10000
        var indices = Enumerable.Range(0, count).Select(k => 167 * k % test.Count).ToArray();
        var photos = new List<float[]>();
        var descriptions = new List<string>();
        int noDigit = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (int index in indices)
        {
            var photo = PhotoSet.Make(test.Image(index), index);
            var prepared = MnistPreprocessor.Prepare(ImageDecoder.Decode(photo.Jpeg, $"photo{index}.jpg"));
            if (prepared.Problem is not null) noDigit++;
            photos.Add(prepared.Field);
            descriptions.Add(photo.Description);
        }
        var labels = indices.Select(i => (int)test.Labels[i]).ToArray();
        var onPhotos = PredictTests.PredictAll(Model, photos);
        var onOriginals = PredictTests.PredictAll(Model, indices.Select(i => test.Image(i).ToArray()).ToList());
        double accPhotos = onPhotos.Zip(labels).Average(p => p.First == p.Second ? 1.0 : 0);
        double accOriginals = onOriginals.Zip(labels).Average(p => p.First == p.Second ? 1.0 : 0);
        output.WriteLine($"photos: {accPhotos:0.0%} of {count} ({noDigit} with no digit found); the same digits as MNIST " +
                         $"stores them: {accOriginals:0.0%}; {clock.Elapsed.TotalSeconds:0.0} s");
        for (int k = 0; k < count; k++)
            if (onPhotos[k] != labels[k])
                output.WriteLine($"  missed test[{indices[k]}] label {labels[k]} → {onPhotos[k]} (original {onOriginals[k]}): {descriptions[k]}");
        // Target 3 points; the tolerance is wider on the small default sample (40 digits: one miss is 2.5 points).
        double tolerance = count >= 500 ? 0.03 : 0.08;
        Assert.True(accPhotos >= accOriginals - tolerance, $"photos {accPhotos:0.0%} vs originals {accOriginals:0.0%}");
    }
}
