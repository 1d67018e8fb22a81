using Digits.Core.Training;
using Spectre.Console;

namespace Digits.Cli.Commands;

/// <summary>
/// The bar shown while an epoch trains in a terminal (Spectre.Console): mini-batches done, images/s, running
/// loss and time left in the epoch. Epoch result lines print above it. Used only when stdout is a terminal;
/// piped or --json/--quiet output gets plain lines instead.
/// </summary>
internal sealed class LiveProgress
{
    /// <summary>A writer whose lines go through Spectre's console, safe while the bar is live.</summary>
    public static readonly TextWriter Writer = new SpectreWriter();

    private ProgressTask? _task;
    private int _epoch;

    /// <summary>Runs <paramref name="work"/> with the bar on screen.</summary>
    public T Run<T>(Func<T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                _context = context;
                result = work();
            });
        return result;
    }

    private ProgressContext? _context;

    /// <summary>Called by the trainer at its progress interval.</summary>
    public void Update(StepProgress p)
    {
        if (_context is null) return;
        if (_task is null || p.Epoch != _epoch)
        {
            _task?.StopTask();
            _epoch = p.Epoch;
            _task = _context.AddTask($"epoch {p.Epoch}/{p.Epochs}", maxValue: p.StepsPerEpoch);
        }
        _task.Value = p.Step;
        _task.Description = $"epoch {p.Epoch}/{p.Epochs}  {p.Step}/{p.StepsPerEpoch} batches  " +
                            $"{p.ImagesPerSecond,9:N0} images/s  loss {p.RunningLoss:0.0000}";
        _context.Refresh();
    }

    private sealed class SpectreWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) => AnsiConsole.Write(value.ToString());
        public override void Write(string? value) => AnsiConsole.Write(value ?? "");
        public override void WriteLine(string? value) => AnsiConsole.WriteLine(value ?? "");
    }
}
