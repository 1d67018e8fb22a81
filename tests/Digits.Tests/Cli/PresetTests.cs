using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Core.Training;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>The regularized presets resolve to the recipes the README reports, and explicit flags still win.</summary>
public sealed class PresetTests
{
    private static TrainSettings Resolve(TrainVerb flags) => TrainSettings.Resolve(flags);

    [Fact]
    public void Best_is_two_wide_layers_with_dropout_and_no_augmentation()
    {
        var s = Resolve(new TrainVerb { Preset = "best" });
        Assert.Equal([2048, 2048], s.Hidden);
        Assert.Equal(new DropoutRates([0.5f]), s.Training.Dropout);
        Assert.Equal(0.2f, s.Training.InputDropout);
        Assert.Null(s.Training.Augment);
        Assert.Equal(60, s.Training.Epochs);
    }

    [Fact]
    public void Augmented_distorts_with_affine_and_elastic_maps_and_flags_override_it()
    {
        var s = Resolve(new TrainVerb { Preset = "augmented" });
        Assert.Equal(new AugmentOptions { Affine = true, Elastic = true }, s.Training.Augment);
        Assert.Null(s.Training.Dropout);
        var tuned = Resolve(new TrainVerb { Preset = "augmented", Rotate = 5, Augment = "affine", Epochs = 2 });
        Assert.Equal(new AugmentOptions { Affine = true, Elastic = false, RotationDegrees = 5 }, tuned.Training.Augment);
        Assert.Equal(2, tuned.Training.Epochs);
    }

    [Theory]
    [InlineData("--dropout 0.5,0.5,0.5", "--dropout gives 3 rates for 2 hidden layers")]
    [InlineData("--dropout 1", "--dropout rates must be in [0, 1)")]
    [InlineData("--dropout half", "--dropout: 'half' is not a number")]
    [InlineData("--input-dropout 1.5", "--input-dropout must be in [0, 1)")]
    [InlineData("--augment rotate", "--augment: unknown augmentation 'rotate'")]
    [InlineData("--augment affine --rotate 200", "--rotate must be in [0, 180] degrees")]
    [InlineData("--augment elastic --elastic-sigma 0", "--elastic-sigma must be in (0, 10]")]
    public void Bad_regularization_flags_are_usage_errors_naming_the_flag(string flags, string message)
    {
        var (code, _, err) = Support.DigitsCli.Run(["train", "--layers", "64,32", .. flags.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}
