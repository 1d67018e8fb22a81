using System.Text;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>Issue 24: <c>predict -- -dash.png</c> said <c>unknown option '--d'</c>. <c>--</c> ends the flags, as in
/// every Unix command: each word after it is an IMAGE, whatever it starts with.</summary>
public sealed class EndOfOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-dashdash-").FullName;
    private readonly string _model;

    public EndOfOptionsTests()
    {
        _model = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(_model, MlpModel.Initialize(new MlpSpec([784, 8, 10], Activation.Relu, LossKind.CrossEntropy), 1));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Words_after_double_dash_are_images_even_when_they_start_with_a_dash()
    {
        var (code, _, err) = DigitsCli.Run("predict", "--model", _model, "--", "-dash.png");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal("digits: -dash.png: no such file", err.TrimEnd());
        // -h and --version after -- are file names too, not requests for help.
        (code, var output, err) = DigitsCli.Run("predict", "--model", _model, "--", "-h", "--version");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal("digits: -h: no such file", err.TrimEnd());
        Assert.Equal("", output);
        // A verb that takes no words still refuses one after --.
        (code, _, err) = DigitsCli.Run("devices", "--", "-x");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains("unexpected argument '-x' for devices", err);
    }

    [Fact]
    public void A_file_named_with_a_leading_dash_is_classified()
    {
        var image = new StringBuilder("P2\n28 28\n255\n");
        for (int v = 0; v < 28; v++)
            image.AppendJoin(' ', Enumerable.Range(0, 28).Select(u => u is >= 12 and <= 15 && v is >= 4 and <= 23 ? 0 : 255)).Append('\n');
        File.WriteAllText(Path.Combine(_dir, "-dash.pgm"), image.ToString());
        // A relative name, as a shell passes it: in a child process whose working folder holds the file.
        var (code, output, err) = DigitsProcess.Run(["predict", "--model", _model, "--quiet", "--", "-dash.pgm"],
            TimeSpan.FromSeconds(60), _dir);
        Assert.True(code == ExitCodes.Success, $"exit {code}: {err}");
        Assert.Matches(@"^-dash\.pgm: \d$", output.TrimEnd());
    }
}
