using System.Text.Json;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Files;
using Digits.Imaging;
using Digits.Core.Model;

namespace Digits.Cli.Commands;

/// <summary><c>digits predict</c>: decodes each image, makes it MNIST-like (<see cref="MnistPreprocessor"/>), runs
/// the model once over all of them and prints the top classes (or every probability as JSON).</summary>
internal sealed class PredictCommand(PredictVerb verb, TextWriter stdout, TextWriter stderr)
{
    private sealed record Input(string Name, float[] Pixels, int? Label, string? Problem = null);

    public int Run()
    {
        var files = verb.Images.ToList();
        if (files.Count == 0 && verb.Index is null)
            throw new UsageException("predict needs IMAGE files or --index N (see digits predict --help)");
        var model = LoadModel();
        SavedModel.RequireImageInput(model, verb.Model, MnistFraming.Side);
        var classNames = ClassNames.Of(model);
        if (verb.Number) return RunNumbers(model, files);
        var inputs = files.Select(Read).ToList();
        if (verb.Index is { } index) inputs.Add(TestImage(model, index));

        var probabilities = Classify(model, inputs);
        if (probabilities is null) return ExitCodes.RuntimeFailure;
        // File and class names are input: escaped where printed as text (JSON escapes them itself).
        var shownClasses = classNames.Select(TerminalText.Escape).ToArray();
        for (int k = 0; k < inputs.Count; k++)
        {
            var p = probabilities[k];
            int best = Array.IndexOf(p, p.Max());
            string shown = TerminalText.Escape(inputs[k].Name);
            if (inputs[k].Problem is { } problem)
            {
                // a photo with no recognisable digit says so instead of guessing
                if (verb.Json)
                    stdout.WriteLine(JsonSerializer.Serialize(new { file = inputs[k].Name, predicted = (int?)null, problem }));
                else
                    stdout.WriteLine($"{shown}: no digit found ({problem})");
                continue;
            }
            if (verb.Json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    file = inputs[k].Name, predicted = best, name = classNames[best], label = inputs[k].Label,
                    probabilities = p.Select(v => Math.Round((double)v, 6)),
                }));
                continue;
            }
            if (verb.Quiet)
            {
                stdout.WriteLine($"{shown}: {shownClasses[best]}");
                continue;
            }
            stdout.WriteLine(shown + (inputs[k].Label is { } l ? $" (true label {shownClasses[l]})" : ""));
            if (verb.Show) stdout.Write(AsciiField.Render(inputs[k].Pixels));
            foreach (var (c, rank) in Enumerable.Range(0, p.Length).OrderByDescending(c => p[c]).Take(3).Select((c, r) => (c, r)))
                stdout.WriteLine(TopLine(rank + 1, c, shownClasses[c], p[c]));
        }
        return ExitCodes.Success;
    }

    /// <summary><c>--number</c>: each image's digits found by segmentation by recognition (the model scores the
    /// candidate cuts and joins), and printed as the number with each digit's confidence.</summary>
    private int RunNumbers(MlpModel model, List<string> files)
    {
        if (verb.Index is not null) throw new UsageException("--number reads IMAGE files; it cannot be used with --index");
        int reject = NotADigit.IndexIn(ClassNames.Of(model));
        var numbers = ReadNumbers(model, files, reject);
        if (numbers is null) return ExitCodes.RuntimeFailure;
        foreach (var (file, digits, problem, probabilities) in numbers)
        {
            var found = probabilities.Select(p => NotADigit.BestDigit(p, reject) is var d ? (Digit: d, Confidence: p[d]) : default).ToList();
            string number = string.Concat(found.Select(d => d.Digit.ToString()));
            if (verb.Json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    file, number = problem is null ? number : null, problem,
                    digits = found.Select(d => new { predicted = d.Digit, confidence = Math.Round((double)d.Confidence, 6) }),
                }));
                continue;
            }
            if (problem is not null)
            {
                stdout.WriteLine($"{TerminalText.Escape(file)}: no number found ({problem})");
                continue;
            }
            stdout.WriteLine(verb.Quiet ? $"{TerminalText.Escape(file)}: {number}"
                : $"{TerminalText.Escape(file)}: {number}  ({string.Join(", ", found.Select(d => $"{d.Digit} {d.Confidence:0.0%}"))})");
            if (verb.Show && !verb.Quiet)
                for (int k = 0; k < digits.Count; k++) stdout.Write(AsciiField.Render(digits[k].Field));
        }
        return ExitCodes.Success;
    }

    /// <summary>Each file's digits (<see cref="MnistPreprocessor.PrepareNumber"/>, the model on the device as its
    /// classifier) with their class probabilities, or why none were found. Null after a device failure (already
    /// reported).</summary>
    private List<(string File, List<PreparedDigit> Digits, string? Problem, float[][] Probabilities)>? ReadNumbers(
        MlpModel model, List<string> files, int reject)
    {
        using var device = DeviceSelector.Open(verb.Device ?? "cpu", verb.Threads);
        var numbers = new List<(string, List<PreparedDigit>, string?, float[][])>();
        try
        {
            using var network = new InferenceNetwork(device.Backend, model, NumberBatch);
            foreach (string file in files)
            {
                var (digits, problem) = MnistPreprocessor.PrepareNumber(Decode(file), fields => network.Probabilities(fields), reject);
                var probabilities = digits.Count == 0 ? [] : network.Probabilities(digits.SelectMany(d => d.Field).ToArray());
                numbers.Add((file, digits, problem, probabilities));
            }
            return numbers;
        }
        catch (Exception e) when (DeviceSelector.IsDeviceFailure(e))
        {
            stderr.WriteLine($"digits: {device.Backend.Name} failed during prediction: {FlagNames.Speak(e.Message)}");
            return null;
        }
    }

    /// <summary>How many candidate digits of a number the model scores in one forward pass.</summary>
    private const int NumberBatch = 256;

    private static GrayImage Decode(string file)
    {
        try
        {
            return ImageDecoder.Decode(file);
        }
        catch (Exception e) when (e is DataFormatException or IOException or UnauthorizedAccessException)
        {
            throw Unreadable(file, e);
        }
    }

    /// <summary>An image file that could not be read or decoded, as one line naming it.</summary>
    private static UsageException Unreadable(string file, Exception e) => new(e switch
    {
        DataFormatException or InputFileException => e.Message,
        FileNotFoundException or DirectoryNotFoundException => $"{file}: no such file",
        UnauthorizedAccessException => $"{file}: cannot read it (permission denied)",
        _ => $"{file}: cannot read it ({e.Message})",
    });

    private MlpModel LoadModel() => SavedModel.Load(verb.Model);

    private static Input Read(string file)
    {
        try
        {
            var prepared = MnistPreprocessor.Prepare(ImageDecoder.Decode(file));
            return new Input(file, prepared.Field, null, prepared.Problem);
        }
        catch (Exception e) when (e is DataFormatException or IOException or UnauthorizedAccessException)
        {
            throw Unreadable(file, e);
        }
    }

    private Input TestImage(MlpModel model, int index)
    {
        var spec = SavedModel.Dataset(model, null);
        var test = DataLoading.Load(spec, verb.Data, !verb.NoDownload, 0, 1, stderr, CancellationToken.None).Test;
        if (index < 0 || index >= test.Count)
            throw new UsageException($"--index {index} is outside {test.Name}'s 0..{test.Count - 1}");
        test = SavedModel.FittedTest(model, verb.Model, test); // its label is printed by the model's class names
        return new Input($"{test.Name}[{index}]", test.Image(index).ToArray(), test.Labels[index]);
    }

    /// <summary>One forward pass over every input; per input, class probabilities summing to 1. Null after a
    /// device failure (already reported).</summary>
    private float[][]? Classify(MlpModel model, List<Input> inputs)
    {
        int n = inputs.Count, features = model.Spec.Inputs;
        var batch = new float[n * features];
        for (int k = 0; k < n; k++) inputs[k].Pixels.CopyTo(batch, k * features);
        using var device = DeviceSelector.Open(verb.Device ?? "cpu", verb.Threads);
        try
        {
            using var network = new InferenceNetwork(device.Backend, model, n);
            return network.Probabilities(batch);
        }
        catch (Exception e) when (DeviceSelector.IsDeviceFailure(e))
        {
            stderr.WriteLine($"digits: {device.Backend.Name} failed during prediction: {FlagNames.Speak(e.Message)}");
            return null;
        }
    }

    /// <summary>One line of the top-3: "  1. 7        99.98%" — the class name once, preceded by its index only where
    /// the name is not the index ("  1. 9 Ankle boot     95.10%").</summary>
    internal static string TopLine(int rank, int index, string name, float probability)
    {
        string label = name == index.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ? name : $"{index} {Truncate(name, 14)}";
        return $"  {rank}. {label,-17} {probability,8:0.00%}";
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
