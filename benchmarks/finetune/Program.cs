using System.Globalization;
using Digits.Tests.Images;

// dotnet run -c Release --project benchmarks/finetune -- OUT [--split packages|dejavu] [--train-per-class N]
//     [--test-per-class N] [--fonts DIR] [--seed N]
// Writes OUT/train/<digit>/ and OUT/test/<digit>/ (typed digits, disjoint font families) and OUT/fonts.txt.
if (args.Length == 0 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: FontDigits OUT [--split packages|dejavu] [--train-per-class 30] [--test-per-class 200] " +
                            "[--fonts /usr/share/fonts] [--seed 1]");
    return 2;
}
string output = args[0];
var options = new Dictionary<string, string>
{
    ["--split"] = "packages", ["--train-per-class"] = "30", ["--test-per-class"] = "200", ["--fonts"] = "/usr/share/fonts",
    ["--seed"] = "1",
};
for (int k = 1; k + 1 < args.Length; k += 2)
{
    if (!options.ContainsKey(args[k])) { Console.Error.WriteLine($"unknown option {args[k]}"); return 2; }
    options[args[k]] = args[k + 1];
}
int Int(string name) => int.Parse(options[name], CultureInfo.InvariantCulture);
var (train, test) = FontDigitSet.Split(options["--fonts"], options["--split"]);
if (train.Count == 0 || test.Count == 0)
{
    Console.Error.WriteLine($"{options["--fonts"]} has {train.Count} training and {test.Count} test fonts of the " +
                            $"'{options["--split"]}' split; see benchmarks/finetune/README.md for the packages to install");
    return 1;
}
if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
int written = FontDigitSet.Write(output, "train", train, Int("--train-per-class"), Int("--seed")).Count;
written += FontDigitSet.Write(output, "test", test, Int("--test-per-class"), Int("--seed")).Count;
File.WriteAllLines(Path.Combine(output, "fonts.txt"),
    [.. train.Select(f => $"train {Path.GetFileName(f)}"), .. test.Select(f => $"test {Path.GetFileName(f)}")]);
Console.WriteLine($"{output}: {written} images; train: {train.Count} fonts, {Int("--train-per-class")} images per digit; " +
                  $"test: {test.Count} fonts, {Int("--test-per-class")} per digit (fonts.txt lists them)");
return 0;
