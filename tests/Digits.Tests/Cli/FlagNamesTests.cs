using System.Reflection;
using System.Text.RegularExpressions;
using CommandLine;
using Digits.Cli;
using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// The libraries (Core, Cpu, Gpu, Api) name their own properties; only the CLI names flags, through the one table
/// <see cref="FlagNames"/>. The table must hold real names and real flags, every message the options' checks give must
/// name something in it, the CLI must show users the flags, and no string in the libraries' sources may name a flag.
/// </summary>
public sealed class FlagNamesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-flags-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every long option of every verb, as typed: "--lr", "--batch-size", …</summary>
    private static readonly HashSet<string> VerbFlags =
        Help.Verbs.SelectMany(verb => Help.Options(verb).Select(o => $"--{o.Name}")).ToHashSet();

    private static readonly Assembly[] Libraries =
        [typeof(TrainingOptions).Assembly, typeof(Digits.Api.DigitClassifier).Assembly];

    [Fact]
    public void Every_name_in_the_table_is_a_member_of_the_library_and_every_flag_one_a_verb_takes()
    {
        var name = new Regex(@"^(\w+)\.(\w+)(?:\((\w+)\))?$");
        foreach (var (libraryName, flag) in FlagNames.Table)
        {
            var m = name.Match(libraryName);
            Assert.True(m.Success, $"'{libraryName}' is not Type.Member or Type.Method(parameter)");
            var type = Libraries.SelectMany(a => a.GetExportedTypes()).SingleOrDefault(t => t.Name == m.Groups[1].Value);
            Assert.True(type is not null, $"{libraryName}: no public type {m.Groups[1].Value} in the libraries");
            var members = type.GetMember(m.Groups[2].Value, BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance);
            Assert.True(members.Length > 0, $"{libraryName}: {type.Name} has no public {m.Groups[2].Value}");
            if (m.Groups[3].Success)
                Assert.True(members.OfType<MethodInfo>()
                        .Any(method => method.GetParameters().Any(p => p.Name == m.Groups[3].Value)),
                    $"{libraryName}: no {type.Name}.{m.Groups[2].Value} takes a parameter {m.Groups[3].Value}");
            string typed = flag.Split(' ')[^1];
            Assert.True(VerbFlags.Contains(typed), $"{libraryName} → {flag}: no verb takes {typed}");
            if (flag.StartsWith("digits ", StringComparison.Ordinal))
            {
                var verb = Help.Verbs.Single(v => v.GetCustomAttribute<VerbAttribute>()!.Name == flag.Split(' ')[1]);
                Assert.Contains(Help.Options(verb), o => $"--{o.Name}" == typed);
            }
        }
        Assert.Equal(FlagNames.Table.Count, FlagNames.Table.Select(row => row.Name).Distinct().Count());
    }

    [Theory]
    [InlineData("TrainingOptions.LearningRate must be a positive number, got 0", "--lr must be a positive number, got 0")]
    [InlineData("use a smaller TrainingOptions.BatchSize or narrower MlpSpec.Widths)",
        "use a smaller --batch-size or narrower --layers)")]
    [InlineData("x (data root from DataLocator.Resolve(folder)), y", "x (data root from --data), y")]
    [InlineData("(this is a checkpoint: use it with Checkpoint.Load)", "(this is a checkpoint: use it with --resume)")]
    [InlineData("Checkpoint.LoadLatest and MyTrainingOptions.LearningRate are not in the table",
        "Checkpoint.LoadLatest and MyTrainingOptions.LearningRate are not in the table")]
    [InlineData("TrainingOptions.InputDropout and TrainingOptions.Dropout", "--input-dropout and --dropout")]
    [InlineData("no names here", "no names here")]
    public void Speak_turns_whole_names_into_flags_and_leaves_everything_else(string message, string spoken)
    {
        Assert.Equal(spoken, FlagNames.Speak(message));
    }

    public static TheoryData<string> BadOptions() => new()
    {
        nameof(TrainingOptions.Epochs), nameof(TrainingOptions.BatchSize), nameof(TrainingOptions.LearningRate),
        nameof(TrainingOptions.WeightDecay), nameof(TrainingOptions.Momentum), nameof(TrainingOptions.StepEpochs),
        nameof(TrainingOptions.StepGamma), nameof(TrainingOptions.InputDropout), nameof(TrainingOptions.MaxNorm),
        nameof(TrainingOptions.Dropout), nameof(AugmentOptions.RotationDegrees), nameof(AugmentOptions.Scale),
        nameof(AugmentOptions.ShearDegrees), nameof(AugmentOptions.TranslatePixels), nameof(AugmentOptions.ElasticSigma),
        nameof(AugmentOptions.ElasticAlpha), "augment kinds", "dropout text",
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Every_message_of_the_options_checks_names_a_property_the_table_turns_into_a_flag(string what)
    {
        var augment = new AugmentOptions();
        var options = new TrainingOptions();
        Action check = what switch
        {
            nameof(TrainingOptions.Epochs) => (options with { Epochs = 0 }).Validate,
            nameof(TrainingOptions.BatchSize) => (options with { BatchSize = 0 }).Validate,
            nameof(TrainingOptions.LearningRate) => (options with { LearningRate = -1 }).Validate,
            nameof(TrainingOptions.WeightDecay) => (options with { WeightDecay = -1 }).Validate,
            nameof(TrainingOptions.Momentum) => (options with { Momentum = 1 }).Validate,
            nameof(TrainingOptions.StepEpochs) => (options with { StepEpochs = 0 }).Validate,
            nameof(TrainingOptions.StepGamma) => (options with { StepGamma = 2 }).Validate,
            nameof(TrainingOptions.InputDropout) => (options with { InputDropout = 1 }).Validate,
            nameof(TrainingOptions.MaxNorm) => (options with { MaxNorm = -1 }).Validate,
            nameof(TrainingOptions.Dropout) => () => _ = new DropoutRates([1f]),
            nameof(AugmentOptions.RotationDegrees) => (augment with { RotationDegrees = 181 }).Validate,
            nameof(AugmentOptions.Scale) => (augment with { Scale = 1 }).Validate,
            nameof(AugmentOptions.ShearDegrees) => (augment with { ShearDegrees = 46 }).Validate,
            nameof(AugmentOptions.TranslatePixels) => (augment with { TranslatePixels = 29 }).Validate,
            nameof(AugmentOptions.ElasticSigma) => (augment with { ElasticSigma = 0 }).Validate,
            nameof(AugmentOptions.ElasticAlpha) => (augment with { ElasticAlpha = 101 }).Validate,
            "augment kinds" => () => AugmentOptions.Parse("rotate"),
            _ => () => DropoutRates.Parse("half"),
        };
        var e = Assert.ThrowsAny<ArgumentException>(check);
        Assert.DoesNotContain("--", e.Message);
        Assert.Matches(@"^--[a-z-]+[ :]", FlagNames.Speak(e.Message));
        Assert.DoesNotContain("(Parameter", e.Message);
    }

    [Fact]
    public void No_string_literal_in_Core_Cpu_Gpu_or_Api_names_a_flag_of_the_digits_command()
    {
        // String literals only: XML docs may say which verb uses a type. Flags of other programs (ptxas --version) are
        // not digits' and may appear.
        var flag = new Regex(@"--[a-z][a-z0-9-]*");
        var offences = new List<string>();
        foreach (string project in (string[])["Digits.Core", "Digits.Cpu", "Digits.Gpu", "Digits.Api", "Digits.Imaging"])
        {
            string folder = Path.Combine(Repository.Root, "src", project);
            foreach (string file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                         .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
                foreach (var (line, text) in StringLiterals.In(File.ReadAllText(file)))
                    foreach (Match m in flag.Matches(text))
                        if (VerbFlags.Contains(m.Value))
                            offences.Add($"{Path.GetRelativePath(Repository.Root, file)}:{line}: {m.Value} in \"{text}\"");
        }
        Assert.True(offences.Count == 0, "the libraries name command-line flags; name the property instead, and add " +
                                         "it to FlagNames.Table:\n" + string.Join('\n', offences));
    }

    [Fact]
    public void The_literal_finder_sees_every_kind_of_string_and_no_comment()
    {
        const string source = """"
            // "--lr" in a comment
            /// <c>--epochs</c> in a doc
            var a = "one --a";
            var b = @"two ""--b""";
            var c = $"three {(x ? "--c1" : $"--c2 {y}")} --c3";
            char q = '"'; var d = "four";
            /* "--hidden" */ var e = '\'';
            """";
        Assert.Equal([(3, "one --a"), (4, "two \"--b\""), (5, "--c1"), (5, "--c2 {…}"), (5, "three {…} --c3"), (6, "four")],
            StringLiterals.In(source));
    }

    [Fact]
    public void The_command_line_shows_flags_where_the_library_names_properties()
    {
        // The validation count, checked by the loader for a CSV (the command line checks it for named datasets).
        string train = Path.Combine(_dir, "train.csv");
        KaggleCsv.Write(train, RealData.RequireMnist().Test, 50);
        var (code, _, err) = DigitsCli.Run("train", "--dataset", $"csv:{train}", "--validation", "100",
            "--output", Path.Combine(_dir, "m.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: --validation 100 must be less than the 45 training images of csv:train.csv (90 %)", err.TrimEnd());

        // Missing files of a named dataset: where the root came from, and how to fix it, in flags.
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        (code, _, err) = DigitsCli.Run("train", "--data", empty, "--no-download", "--output", Path.Combine(_dir, "m.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains($"Looked in {Path.Combine(empty, "mnist")} and {empty} (data root from --data)", err);
        Assert.EndsWith("To fix: point --data DIR or DIGITS_DATA at a folder holding mnist/train-images-idx3-ubyte.gz " +
                        "(and train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), or run " +
                        "`digits download mnist` on a connected machine and copy its mnist folder here.", err.TrimEnd());
        Assert.DoesNotContain("DataLocator", err);
    }

    [Fact]
    public void A_network_too_wide_for_one_buffer_is_refused_in_flags_without_a_parameter_suffix()
    {
        RealData.RequireMnist(); // 40000 images per mini-batch need a training set that large
        var (code, _, err) = DigitsCli.Run("train", "--layers", "65536", "--batch-size", "40000", "--epochs", "1",
            "--device", "cpu", "--output", Path.Combine(_dir, "m.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Matches(@"^digits: a 40000×65536 activation tensor has [\d,.]+ elements, more than the [\d,.]+ one buffer " +
                       @"can hold; use a smaller --batch-size or narrower --layers$", err.TrimEnd());
    }
}
