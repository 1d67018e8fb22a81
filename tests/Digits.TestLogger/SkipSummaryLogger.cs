using Microsoft.VisualStudio.TestPlatform.ObjectModel;
using Microsoft.VisualStudio.TestPlatform.ObjectModel.Client;
using Microsoft.VisualStudio.TestPlatform.ObjectModel.Logging;

namespace Digits.TestLogger;

/// <summary>
/// The console output of <c>dotnet test tests/Digits.Tests</c>: every failure in full (name, message, stack trace),
/// and skipped tests not one line each (hundreds, when no GPU is present) but one line per reason at the end:
/// <c>skipped 288 tests: cuda backend unavailable: libcuda.so.1 not found</c>. The skipped tests with their reasons
/// are listed in <c>TestResults/skipped.txt</c> beside the test project (and, with <c>--logger trx</c>, in the .trx
/// file). The VSTest console logger runs at quiet verbosity beside it (test.runsettings) and prints the totals.
/// </summary>
[FriendlyName(FriendlyName)]
[ExtensionUri(Uri)]
public sealed class SkipSummaryLogger : ITestLoggerWithParameters
{
    public const string FriendlyName = "digits";
    public const string Uri = "logger://Digits/SkipSummaryLogger/v1";

    private readonly SkipSummary _summary = new();
    private string _resultsDirectory = "TestResults";

    public void Initialize(TestLoggerEvents events, string testRunDirectory)
    {
        _resultsDirectory = testRunDirectory;
        events.TestResult += (_, e) => OnResult(e.Result);
        events.TestRunComplete += (_, _) => OnComplete();
    }

    public void Initialize(TestLoggerEvents events, Dictionary<string, string?> parameters)
    {
        string directory = parameters.TryGetValue(DefaultLoggerParameterNames.TestRunDirectory, out var d) && d is { Length: > 0 }
            ? d : "TestResults";
        Initialize(events, directory);
    }

    private void OnResult(TestResult result)
    {
        string name = result.TestCase.DisplayName ?? result.TestCase.FullyQualifiedName;
        switch (result.Outcome)
        {
            case TestOutcome.Failed:
                Console.WriteLine($"  Failed {name} [{result.Duration.TotalMilliseconds:0} ms]");
                if (result.ErrorMessage is { Length: > 0 } message) Console.WriteLine(Indent(message, "    "));
                if (result.ErrorStackTrace is { Length: > 0 } stack) Console.WriteLine(Indent(stack, "    "));
                foreach (var m in result.Messages.Where(m => m.Category == TestResultMessage.StandardOutCategory && m.Text is { Length: > 0 }))
                    Console.WriteLine(Indent("output:\n" + m.Text!.TrimEnd(), "    "));
                break;
            case TestOutcome.Skipped:
                _summary.Add(name, result.ErrorMessage ?? result.Messages.FirstOrDefault()?.Text);
                break;
        }
    }

    private void OnComplete()
    {
        foreach (string line in _summary.Lines()) Console.WriteLine(line);
        if (_summary.Count == 0) return;
        try
        {
            Directory.CreateDirectory(_resultsDirectory);
            string path = Path.Combine(_resultsDirectory, "skipped.txt");
            File.WriteAllLines(path, _summary.Details());
            Console.WriteLine($"(each skipped test with its reason: {Path.GetFullPath(path)})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.WriteLine($"(could not write the list of skipped tests: {e.Message})");
        }
    }

    private static string Indent(string text, string indent) =>
        string.Join('\n', text.ReplaceLineEndings("\n").TrimEnd().Split('\n').Select(l => indent + l));
}

/// <summary>Skipped tests grouped by reason.</summary>
public sealed class SkipSummary
{
    private readonly List<(string Test, string Reason)> _skipped = [];

    public int Count => _skipped.Count;

    public void Add(string test, string? reason) =>
        _skipped.Add((test, string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason.Trim().ReplaceLineEndings(" ")));

    /// <summary>One line per reason, most frequent first: "skipped 288 tests: REASON".</summary>
    public IEnumerable<string> Lines() => _skipped.GroupBy(s => s.Reason).OrderByDescending(g => g.Count())
        .ThenBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => $"skipped {g.Count()} test{(g.Count() == 1 ? "" : "s")}: {g.Key}");

    /// <summary>Every skipped test under its reason.</summary>
    public IEnumerable<string> Details() => _skipped.GroupBy(s => s.Reason).OrderByDescending(g => g.Count())
        .SelectMany(g => new[] { $"{g.Key} ({g.Count()}):" }.Concat(g.Select(s => $"  {s.Test}")));
}
