using System.Text.Json;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>
/// Writes a command's results as people read them (lines and tables) or, with <c>--json</c>, as one JSON object
/// per line with snake_case fields, for scripts. <c>--quiet</c> keeps only the final result.
/// </summary>
internal sealed class Reporter(TextWriter output, bool json, bool quiet)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private bool _headerWritten;

    public bool Json => json;

    /// <summary>A line of context (device, data, model); not printed under --json or --quiet. It names files and
    /// datasets, so its control characters are escaped (<see cref="TerminalText"/>).</summary>
    public void Info(string line)
    {
        if (!json && !quiet) output.WriteLine(TerminalText.Escape(line));
    }

    /// <summary>One JSON object (under --json).</summary>
    public void Object(object value)
    {
        if (json) output.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
    }

    /// <summary>An epoch as a table row (or a JSON object).</summary>
    public void Epoch(EpochReport r, int epochs)
    {
        if (json)
        {
            Object(new
            {
                epoch = r.Epoch, train_loss = r.TrainLoss, train_accuracy = r.TrainAccuracy,
                validation_loss = r.ValidationLoss, validation_accuracy = r.ValidationAccuracy,
                test_loss = r.TestLoss, test_accuracy = r.TestAccuracy, seconds = r.Seconds,
                images_per_second = r.ImagesPerSecond, learning_rate = r.LearningRate, eval_seconds = r.EvalSeconds,
            });
            return;
        }
        if (quiet) return;
        bool validation = r.ValidationLoss is not null;
        if (!_headerWritten)
        {
            output.WriteLine(validation
                ? "epoch   train loss  train acc    val loss    val acc   test loss   test acc   seconds   images/s"
                : "epoch   train loss  train acc   test loss   test acc   seconds   images/s");
            _headerWritten = true;
        }
        string val = validation ? $"  {r.ValidationLoss,10:0.0000} {r.ValidationAccuracy,9:0.00%} " : "";
        output.WriteLine($"{r.Epoch + "/" + epochs,-6}{r.TrainLoss,11:0.0000} {r.TrainAccuracy,10:0.00%}{val} " +
                         $"{r.TestLoss,10:0.0000} {r.TestAccuracy,10:0.00%} {r.Seconds,9:0.00} {r.ImagesPerSecond,10:N0}");
    }
}
