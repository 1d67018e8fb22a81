using Digits.Cli;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>digits bench</c> prints each row (or writes its JSON line) as soon as it is measured, so a run cut
/// short (a time limit on a lent GPU) keeps every row it finished.</summary>
public sealed class BenchStreamingTests
{
    /// <summary>Both streams into one ordered list of (stream, line).</summary>
    private sealed class Interleaved(List<(string, string)> lines, string stream) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            lock (lines) lines.Add((stream, value ?? ""));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Each_row_is_written_before_the_next_configuration_starts(bool json)
    {
        RealData.RequireMnist();
        var lines = new List<(string Stream, string Text)>();
        string[] args = ["bench", "--devices", "cpu", "--config", "nielsen,small", "--epochs", "1", "--warmup", "0"];
        int code = Program.Run(json ? [.. args, "--json"] : args, new Interleaved(lines, "out"), new Interleaved(lines, "err"));
        Assert.Equal(0, code);
        int nielsenRow = lines.FindIndex(l => l.Stream == "out" && (json ? l.Text.Contains("\"config\":\"nielsen\"") : l.Text.StartsWith("nielsen ")));
        int smallStarts = lines.FindIndex(l => l.Stream == "err" && l.Text == "bench: small on cpu ...");
        int smallRow = lines.FindIndex(l => l.Stream == "out" && (json ? l.Text.Contains("\"config\":\"small\"") : l.Text.StartsWith("small ")));
        Assert.True(nielsenRow >= 0 && smallStarts > nielsenRow && smallRow > smallStarts,
            $"nielsen row at {nielsenRow}, small starts at {smallStarts}, small row at {smallRow}:\n" +
            string.Join("\n", lines.Select(l => $"{l.Stream}: {l.Text}")));
    }
}
