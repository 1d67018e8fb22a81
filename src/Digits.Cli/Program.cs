using System.Reflection;
using CommandLine;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;

namespace Digits.Cli;

/// <summary>The <c>digits</c> command: parses a verb and its flags, runs it, maps failures to exit codes.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command line with output to the given writers; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (AnswerWithoutParsing(args, stdout, stderr) is { } answered) return answered;
        using var parser = NewParser();
        var result = parser.ParseArguments(args, Help.Verbs);
        if (result is NotParsed<object> notParsed) return ReportParseErrors(notParsed, args, stdout, stderr);
        try
        {
            ThreadsOption.Check(ThreadsOption.Of(result.Value));
            return RunVerb(result.Value, stdout, stderr);
        }
        // The library's messages inside these name its properties; FlagNames turns them into the flags users type.
        catch (UsageException e)
        {
            stderr.WriteLine($"digits: {Said(e)}");
            return ExitCodes.UsageOrInput;
        }
        catch (RuntimeFailureException e)
        {
            stderr.WriteLine($"digits: {Said(e)}");
            return ExitCodes.RuntimeFailure;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything unforeseen: one line for the user, the stack trace only when asked for.
            stderr.WriteLine($"digits: unexpected {e.GetType().Name}: {Said(e)}" +
                             (Environment.GetEnvironmentVariable("DIGITS_DEBUG") is "1" ? $"\n{e}" : " (set DIGITS_DEBUG=1 for details)"));
            return ExitCodes.RuntimeFailure;
        }
    }

    private static Parser NewParser() => new(settings =>
    {
        settings.HelpWriter = null;
        settings.CaseInsensitiveEnumValues = true;
        settings.AutoVersion = true;
        settings.GetoptMode = false;
        settings.EnableDashDash = true; // `predict -- -dash.png`: every word after -- is a value (ArgumentCheck)
    });

    /// <summary>The exit code of a command line answered before parsing: no verb or <c>--help</c> (the tool's help),
    /// <c>--version</c>, a verb's help or version, or the first problem <see cref="ArgumentCheck"/> finds in a
    /// verb's flags; null when the command line goes on to the parser.</summary>
    private static int? AnswerWithoutParsing(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help" && args.Length == 1)
        {
            stdout.Write(Help.ForTool());
            return args.Length == 0 ? ExitCodes.UsageOrInput : ExitCodes.Success;
        }
        if (args[0] is "--version")
        {
            stdout.WriteLine(VersionText);
            return ExitCodes.Success;
        }
        if (Help.Verbs.FirstOrDefault(v => v.GetCustomAttribute<VerbAttribute>()!.Name == args[0]) is not { } verbType)
            return null;
        try
        {
            switch (ArgumentCheck.Check(verbType, args))
            {
                case ArgumentCheck.Outcome.Help:
                    stdout.Write(Help.ForVerb(verbType));
                    return ExitCodes.Success;
                case ArgumentCheck.Outcome.Version:
                    stdout.WriteLine(VersionText);
                    return ExitCodes.Success;
            }
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"digits: {TerminalText.Escape(e.Message)}");
            return ExitCodes.UsageOrInput;
        }
        return null;
    }

    /// <summary>Runs the command of a parsed verb; returns its exit code.</summary>
    private static int RunVerb(object verb, TextWriter stdout, TextWriter stderr) => verb switch
    {
        TrainVerb v => new TrainCommand(v, stdout, stderr).Run(),
        EvaluateVerb v => new EvaluateCommand(v, stdout, stderr).Run(),
        DownloadVerb v => new DownloadCommand(v, stdout, stderr).Run(),
        DevicesVerb v => new DevicesCommand(v, stdout).Run(),
        CheckVerb v => new CheckCommand(v, stdout, stderr).Run(),
        BenchVerb v => new BenchCommand(v, stdout, stderr).Run(),
        KernelsVerb v => new KernelsCommand(v, stdout, stderr).Run(),
        ReportVerb v => new ReportCommand(v, stdout, stderr).Run(),
        PredictVerb v => new PredictCommand(v, stdout, stderr).Run(),
        ServeVerb v => new ServeCommand(v, stdout, stderr).Run(),
        ExportVerb v => new ExportCommand(v, stdout).Run(),
        ImportVerb v => new ImportCommand(v, stdout).Run(),
        AugmentVerb v => new AugmentCommand(v, stdout, stderr).Run(),
        _ => ExitCodes.UsageOrInput,
    };

    /// <summary><c>digits --version</c>: "digits 0.1.0" (the package version, without a source revision).</summary>
    public static string VersionText
    {
        get
        {
            string version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                             ?? typeof(Program).Assembly.GetName().Version?.ToString() ?? "?";
            int plus = version.IndexOf('+');
            return $"digits {(plus >= 0 ? version[..plus] : version)}";
        }
    }

    private static int ReportParseErrors(NotParsed<object> notParsed, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var verbType = notParsed.TypeInfo.Current;
        string verb = args.Length > 0 ? args[0] : "";
        foreach (var error in notParsed.Errors)
        {
            switch (error)
            {
                case HelpRequestedError or HelpVerbRequestedError:
                    var helpVerb = (error as HelpVerbRequestedError)?.Type ?? verbType;
                    stdout.Write(Help.Verbs.Contains(helpVerb) ? Help.ForVerb(helpVerb) : Help.ForTool());
                    return ExitCodes.Success;
                case VersionRequestedError:
                    stdout.WriteLine(VersionText);
                    return ExitCodes.Success;
            }
        }
        var first = notParsed.Errors.First();
        string message = first switch
        {
            BadVerbSelectedError e => $"unknown verb '{e.Token}'; verbs are train, evaluate, predict, serve, download, devices, check, bench, kernels, report, export, import, augment",
            NoVerbSelectedError => "no verb given; try digits --help",
            UnknownOptionError e => $"unknown option '--{e.Token}' for {verb} (see digits {verb} --help)",
            BadFormatConversionError e => $"--{e.NameInfo.LongName}: '{ValueOf(args, e.NameInfo.LongName)}' is not a valid value",
            MissingValueOptionError e => $"--{e.NameInfo.LongName} needs a value",
            MissingRequiredOptionError e => $"--{e.NameInfo.LongName} is required for {verb}",
            RepeatedOptionError e => $"--{e.NameInfo.LongName} is given more than once",
            _ => $"cannot parse the command line ({first.Tag})",
        };
        stderr.WriteLine($"digits: {TerminalText.Escape(message)}");
        return ExitCodes.UsageOrInput;
    }

    /// <summary>An exception's message as the user reads it: the library's names as flags, and the input it quotes
    /// (file names, CSV cells, metadata) with its control characters escaped.</summary>
    private static string Said(Exception e) => TerminalText.Escape(FlagNames.Speak(e.Message));

    private static string ValueOf(string[] args, string name)
    {
        for (int k = 0; k < args.Length; k++)
        {
            if (args[k] == $"--{name}" && k + 1 < args.Length) return args[k + 1];
            if (args[k].StartsWith($"--{name}=", StringComparison.Ordinal)) return args[k][(name.Length + 3)..];
        }
        return "";
    }
}
