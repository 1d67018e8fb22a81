using System.Reflection;
using System.Text;
using CommandLine;
using Digits.Cli.Verbs;

namespace Digits.Cli;

/// <summary>Renders <c>--help</c>: every flag grouped by topic with its default, and the exit codes.</summary>
internal static class Help
{
    public static readonly Type[] Verbs =
        [typeof(TrainVerb), typeof(EvaluateVerb), typeof(PredictVerb), typeof(ServeVerb), typeof(DownloadVerb), typeof(DevicesVerb), typeof(CheckVerb), typeof(BenchVerb), typeof(KernelsVerb), typeof(ReportVerb), typeof(ExportVerb), typeof(ImportVerb), typeof(AugmentVerb)];

    public const string ExitCodeText =
        "Exit codes: 0 success, 1 runtime failure (a device error, out of memory, a diverging loss, or a model or report that " +
        "could not be written, e.g. a full disk), 2 usage or input " +
        "error (bad flag or value, unreadable or malformed file, missing device), 130 interrupted (Ctrl-C or " +
        "SIGTERM; with --checkpoint the run can be resumed).";

    public static string ForTool()
    {
        var text = new StringBuilder();
        text.AppendLine("digits — train handwritten-digit classifiers (MLPs) on the CPU, or on a GPU through ILGPU (CUDA, OpenCL).");
        text.AppendLine();
        text.AppendLine("Usage: digits VERB [options]     (digits VERB --help or -h for its flags; digits --version)");
        text.AppendLine();
        foreach (var verb in Verbs)
        {
            var attr = verb.GetCustomAttribute<VerbAttribute>()!;
            text.AppendLine($"  {attr.Name,-10} {attr.HelpText}");
        }
        text.AppendLine();
        text.AppendLine("Examples:");
        text.AppendLine("  digits train --device cpu                      784-256-128-10 ReLU, Adam, 10 epochs on MNIST");
        text.AppendLine("  digits train --preset nielsen                  the book's 784-30-10 sigmoid network");
        text.AppendLine("  digits train --preset deep --checkpoint ck     save a checkpoint every epoch; after Ctrl-C or a crash:");
        text.AppendLine("  digits train --resume ck                       carry on where it stopped");
        text.AppendLine("  digits evaluate --model model.safetensors      test accuracy, per class");
        text.AppendLine("  digits predict --model m.safetensors 7.png     classify your own digit picture (--show to see it)");
        text.AppendLine("  digits export --model m.safetensors --format onnx --output m.onnx   for ONNX Runtime");
        text.AppendLine("  digits augment --show                          what train --augment does to the digits (augment.png)");
        text.AppendLine("  digits devices                                 what hardware each backend sees");
        text.AppendLine("  digits bench --devices cpu,cuda                epoch times, images/s, GFLOP/s per device");
        text.AppendLine("  digits kernels --plans --sm 132                each preset GEMM's launch plan on an H100's 132 SMs");
        text.AppendLine("  digits kernels --ptx ptx                       each GPU kernel's registers and occupancy; its PTX");
        text.AppendLine();
        text.AppendLine(Wrap(ExitCodeText, 120, ""));
        return text.ToString();
    }

    public static string ForVerb(Type verb)
    {
        var attr = verb.GetCustomAttribute<VerbAttribute>()!;
        var text = new StringBuilder();
        text.AppendLine($"digits {attr.Name} — {attr.HelpText}");
        text.AppendLine();
        text.AppendLine($"Usage: digits {attr.Name} [options]{(verb == typeof(PredictVerb) ? " [IMAGE...]" : verb == typeof(DownloadVerb) ? " [NAME...]" : "")}");
        foreach (var group in Options(verb).GroupBy(o => o.Topic))
        {
            text.AppendLine();
            text.AppendLine(group.Key);
            foreach (var o in group)
            {
                string flag = o.IsSwitch ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
                string suffix = o.Required ? " (required)" : o.Default is null ? "" : $" (default: {o.Default})";
                text.Append($"  {flag,-26} ");
                text.AppendLine(Wrap(o.Help + suffix, 120 - 29, new string(' ', 29)));
            }
        }
        if (verb == typeof(PredictVerb))
        {
            text.AppendLine();
            text.AppendLine(PredictVerb.Notes);
        }
        if (verb == typeof(ExportVerb))
        {
            text.AppendLine();
            text.AppendLine(ExportVerb.Notes);
        }
        if (verb == typeof(AugmentVerb))
        {
            text.AppendLine();
            text.AppendLine(Wrap(AugmentVerb.Notes, 120, ""));
        }
        if (verb == typeof(ServeVerb))
        {
            text.AppendLine();
            text.AppendLine(Wrap(ServeVerb.Notes, 120, ""));
        }
        text.AppendLine();
        text.AppendLine(Wrap(ExitCodeText, 120, ""));
        return text.ToString();
    }

    /// <summary>Every option of a verb with its topic and stated default, for the renderer and its tests.</summary>
    public static IEnumerable<(string Name, string Topic, string? Default, string Help, bool IsSwitch, bool Required,
        string ValueName, PropertyInfo Property)> Options(Type verb)
    {
        string[] order = ["Data", "Model", "Training", "Regularization", "Augmentation", "Device", "Output", "Checkpoints"];
        return verb.GetProperties()
            .Select(p => (Property: p, Option: p.GetCustomAttribute<OptionAttribute>(), Topic: p.GetCustomAttribute<TopicAttribute>()))
            .Where(x => x.Option is not null)
            .Select(x => (x.Option!.LongName, x.Topic?.Name ?? "Other", x.Topic?.DefaultText, x.Option.HelpText,
                x.Property.PropertyType == typeof(bool), x.Option.Required, ValueName(x.Property), x.Property))
            .OrderBy(x => Array.IndexOf(order, x.Item2) is var i && i < 0 ? order.Length : i);
    }

    /// <summary>Word-wraps <paramref name="text"/> to <paramref name="width"/> columns, indenting continuation lines.</summary>
    private static string Wrap(string text, int width, string indent)
    {
        var result = new StringBuilder();
        int column = 0;
        foreach (string word in text.Split(' '))
        {
            if (column > 0 && column + 1 + word.Length > width)
            {
                result.Append('\n').Append(indent);
                column = 0;
            }
            else if (column > 0)
            {
                result.Append(' ');
                column++;
            }
            result.Append(word);
            column += word.Length;
        }
        return result.ToString();
    }

    private static string ValueName(PropertyInfo p)
    {
        if (p.GetCustomAttribute<OptionAttribute>()?.MetaValue is { Length: > 0 } meta) return meta;
        var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
        return t == typeof(int) || t == typeof(ulong) ? "N" : t == typeof(float) ? "X" : "VALUE";
    }
}
