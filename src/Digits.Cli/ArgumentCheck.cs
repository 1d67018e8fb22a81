using System.Globalization;
using System.Reflection;
using CommandLine;
using Digits.Cli.Verbs;

namespace Digits.Cli;

/// <summary>
/// Checks a verb's command line token by token before CommandLineParser sees it, because the parser forgives
/// too much: a flag without its value is dropped (<c>train --epochs</c> trains 10 epochs), a flag missing its
/// value swallows the next flag, stray words are ignored, <c>0,001</c> parses as 1 (the comma is a thousands
/// separator to it), and <c>-h</c> or <c>--help</c> after other flags is an unknown option. Here:
/// <list type="bullet">
/// <item><c>-h</c>/<c>--help</c> anywhere in flag position asks for the verb's help; <c>--version</c> for the
/// version.</item>
/// <item>Every flag must be one of the verb's; a flag that takes a value must have one (<c>--x V</c> or
/// <c>--x=V</c>), not empty and not another flag.</item>
/// <item>Numeric values are parsed with the invariant culture; a decimal comma is refused with a hint.</item>
/// <item>Words that are not flag values are refused unless the verb takes them (predict's IMAGE…, download's
/// NAME…).</item>
/// <item><c>--</c> ends the flags: every word after it is one of those words, even one starting with a dash
/// (<c>predict --model m.safetensors -- -dash.png</c>).</item>
/// </list>
/// </summary>
internal static class ArgumentCheck
{
    /// <summary>What the command line asks for once it has passed the check.</summary>
    public enum Outcome { Run, Help, Version }

    /// <summary>Checks <paramref name="args"/> (verb first) against <paramref name="verb"/>'s options.</summary>
    /// <exception cref="UsageException">the first problem, as one line naming the flag or word.</exception>
    public static Outcome Check(Type verb, string[] args)
    {
        string name = verb.GetCustomAttribute<VerbAttribute>()!.Name;
        var options = Help.Options(verb).ToDictionary(o => o.Name, StringComparer.Ordinal);
        bool takesWords = verb.GetProperties().Any(p => p.GetCustomAttribute<ValueAttribute>() is not null);
        // Help wins over any other problem on the line, as users type --help to find out what went wrong; after --
        // the words are values (a file may be called -h).
        var flags = args.Skip(1).TakeWhile(a => a != "--").ToArray();
        if (flags.Any(a => a is "-h" or "--help")) return Outcome.Help;
        if (flags.Any(a => a is "--version")) return Outcome.Version;
        for (int k = 1; k < args.Length; k++)
        {
            string token = args[k];
            if (token == "--")
            {
                if (!takesWords && k + 1 < args.Length) throw Stray(name, args[k + 1]);
                return Outcome.Run;
            }
            if (!token.StartsWith('-') || token == "-" || IsNegativeNumber(token))
            {
                if (!takesWords) throw Stray(name, token);
                continue;
            }
            if (!token.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"unknown option '{token}' for {name} (flags are spelled --name; see digits {name} --help)");
            string flag = token[2..];
            string? value = null;
            int equals = flag.IndexOf('=');
            if (equals >= 0)
            {
                value = flag[(equals + 1)..];
                flag = flag[..equals];
            }
            if (!options.TryGetValue(flag, out var option))
                throw new UsageException($"unknown option '--{flag}' for {name} (see digits {name} --help)");
            if (option.IsSwitch)
            {
                if (value is not null)
                    throw new UsageException($"--{flag} is a switch and takes no value (got '{token}')");
                continue;
            }
            if (value is null)
            {
                if (k + 1 >= args.Length || IsFlag(args[k + 1]))
                    throw new UsageException($"--{flag} needs a value: {Expected(option.Property)}");
                value = args[++k];
            }
            else if (value.Length == 0)
                throw new UsageException($"--{flag}= needs a value right after the '=' (write --{flag}=VALUE or --{flag} VALUE)");
            if (string.IsNullOrWhiteSpace(value))
                throw new UsageException($"--{flag}: the value is empty; expected {Expected(option.Property)}");
            CheckNumber(flag, value, option.Property);
        }
        return Outcome.Run;
    }

    /// <summary>What a flag's value must be, for messages ("a number > 0"): the option's stated expectation, else
    /// its type's.</summary>
    public static string Expected(PropertyInfo property)
    {
        if (property.GetCustomAttribute<TopicAttribute>()?.Expected is { } stated) return stated;
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type == typeof(int)) return "a whole number";
        if (type == typeof(ulong)) return "a whole number ≥ 0";
        if (type == typeof(float) || type == typeof(double)) return "a number such as 0.5";
        return property.GetCustomAttribute<OptionAttribute>()?.MetaValue switch
        {
            "FILE" => "a file path",
            "DIR" => "a folder path",
            "DEVICE" => "a device such as cpu (see digits devices)",
            _ => "a value (see its --help)",
        };
    }

    private static void CheckNumber(string flag, string value, PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var culture = CultureInfo.InvariantCulture;
        bool ok;
        if (type == typeof(int)) ok = int.TryParse(value, NumberStyles.AllowLeadingSign, culture, out _);
        else if (type == typeof(ulong)) ok = ulong.TryParse(value, NumberStyles.None, culture, out _);
        else if (type == typeof(float) || type == typeof(double))
        {
            if (value.Contains(','))
                throw new UsageException($"--{flag}: '{value}' has a comma; numbers take a decimal point " +
                                         $"(write {value.Replace(',', '.')})");
            ok = double.TryParse(value, NumberStyles.Float, culture, out _);
        }
        else return;
        if (!ok) throw new UsageException($"--{flag}: '{value}' is not a valid value; expected {Expected(property)}");
    }

    private static bool IsFlag(string token) => token.StartsWith('-') && token != "-" && !IsNegativeNumber(token);

    private static bool IsNegativeNumber(string token) =>
        token.Length > 1 && token[0] == '-' && (char.IsAsciiDigit(token[1]) || token[1] == '.');

    private static UsageException Stray(string verb, string word) =>
        new($"unexpected argument '{word}' for {verb}: {verb} takes only flags (see digits {verb} --help)");
}
