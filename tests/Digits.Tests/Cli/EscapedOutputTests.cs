using System.Text;
using System.Text.Json;
using Digits.Cli;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// Issue 24: raw ESC and NUL bytes from files — a CSV header in an error, a model's class_names, file names — reached
/// the terminal, where ESC starts a control sequence (ESC ]0; retitles the window, ESC [2J clears the screen). Every
/// line that echoes input escapes its control characters (<see cref="TerminalText"/>); JSON output escapes them itself.
/// </summary>
public sealed class EscapedOutputTests : IDisposable
{
    private const string Esc = "\u001b";
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-escaped-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>No control character other than the line ends of the output's own lines.</summary>
    private static void AssertPrintable(string output)
    {
        foreach (char c in output.Replace("\n", ""))
            Assert.False(char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069',
                $"U+{(int)c:X4} reached the output: {output}");
    }

    [Fact]
    public void Control_characters_become_visible_escapes_and_other_text_is_untouched()
    {
        Assert.Equal(@"a\x1B[31mb\x00c\x09d\x0A\x0De\x7F\x85f\u202Eg",
            TerminalText.Escape("a\u001b[31mb\0c\td\n\re\u007f\u0085f\u202Eg"));
        const string plain = "7 Sneaker, 98.5 % — ✓ 数字 ½";
        Assert.Same(plain, TerminalText.Escape(plain));
    }

    /// <summary>A model whose class names hold ESC, NUL and a bidirectional override.</summary>
    private string Model()
    {
        var model = MlpModel.Initialize(new MlpSpec([784, 8, 10], Activation.Relu, LossKind.CrossEntropy), 1);
        var names = Enumerable.Range(0, 10).Select(k => $"c{k}{Esc}]0;owned\a{Esc}[2J\0\u202E").ToArray();
        model.Metadata["class_names"] = JsonSerializer.Serialize(names);
        string path = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(path, model);
        return path;
    }

    /// <summary>A 28×28 PGM of a dark bar on white (a 1), named with ESC in its file name.</summary>
    private string Image()
    {
        string path = Path.Combine(_dir, $"digit{Esc}[2J.pgm");
        var text = new StringBuilder("P2\n28 28\n255\n");
        for (int v = 0; v < 28; v++)
            text.AppendJoin(' ', Enumerable.Range(0, 28).Select(u => u is >= 12 and <= 15 && v is >= 4 and <= 23 ? 0 : 255)).Append('\n');
        File.WriteAllText(path, text.ToString());
        return path;
    }

    [Fact]
    public void Predict_escapes_the_models_class_names_and_the_file_name_and_JSON_escapes_them_itself()
    {
        string model = Model(), image = Image();
        var (code, output, err) = DigitsCli.Run("predict", "--model", model, image);
        Assert.True(code == ExitCodes.Success, err);
        AssertPrintable(output);
        Assert.Contains(@"digit\x1B[2J.pgm", output);
        Assert.Matches(@"  1\. \d c\d\\x1B\]0;owne…", output); // the top-3 cuts a name at 14 characters
        (code, output, err) = DigitsCli.Run("predict", "--model", model, "--quiet", image);
        Assert.True(code == ExitCodes.Success, err);
        AssertPrintable(output);
        Assert.Matches(@"\.pgm: c\d\\x1B\]0;owned\\x07\\x1B\[2J\\x00\\u202E$", output.TrimEnd());
        (code, output, err) = DigitsCli.Run("predict", "--model", model, "--json", image);
        Assert.True(code == ExitCodes.Success, err);
        AssertPrintable(output);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(image, json.RootElement.GetProperty("file").GetString());
        Assert.StartsWith("c", json.RootElement.GetProperty("name").GetString());
        Assert.EndsWith($"{Esc}[2J\0\u202E", json.RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public void Errors_escape_the_file_names_and_CSV_cells_they_quote()
    {
        string model = Model();
        string missing = Path.Combine(_dir, $"gone{Esc}[2J.png");
        var (code, _, err) = DigitsCli.Run("predict", "--model", model, missing);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        AssertPrintable(err);
        Assert.Equal($@"digits: {_dir}/gone\x1B[2J.png: no such file", err.TrimEnd());

        string csv = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(csv, $"label,pix{Esc}]0;owned\a,pixel1\n");
        (code, _, err) = DigitsCli.Run("evaluate", "--model", model, "--dataset", $"csv:{csv}", "--device", "cpu");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        AssertPrintable(err);
        Assert.Contains(@"found 'pix\x1B]0;owned\x07'", err);

        // An unknown option typed (or pasted) with an escape sequence in it.
        (code, _, err) = DigitsCli.Run("predict", $"--x{Esc}[2J");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        AssertPrintable(err);
    }

    [Fact]
    public void Evaluate_escapes_the_dataset_name_taken_from_a_CSV_file_name()
    {
        string model = Model();
        string csv = Path.Combine(_dir, $"set{Esc}[2J.csv");
        var text = new StringBuilder("label");
        for (int k = 0; k < 784; k++) text.Append(",pixel").Append(k);
        for (int row = 0; row < 20; row++) text.Append('\n').Append(row % 10).Append(string.Concat(Enumerable.Repeat(",0", 784)));
        File.WriteAllText(csv, text.Append('\n').ToString());
        var (code, output, err) = DigitsCli.Run("evaluate", "--model", model, "--dataset", $"csv:{csv}", "--device", "cpu");
        Assert.True(code == ExitCodes.Success, err);
        AssertPrintable(output);
        AssertPrintable(err);
        Assert.Contains(@"set\x1B[2J.csv", output);
    }
}
