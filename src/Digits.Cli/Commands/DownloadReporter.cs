using Digits.Core.Data;

namespace Digits.Cli.Commands;

/// <summary>Prints download progress (bytes and rate) at most a few times a second, and once at the end.</summary>
internal sealed class DownloadReporter(TextWriter output) : IProgress<DownloadProgress>
{
    private TimeSpan _last = TimeSpan.MinValue;
    private string? _file;

    public void Report(DownloadProgress p)
    {
        bool done = p.TotalBytes is { } total && p.BytesDone >= total;
        if (p.FileName == _file && !done && p.Elapsed - _last < TimeSpan.FromMilliseconds(500)) return;
        _file = p.FileName;
        _last = p.Elapsed;
        double rate = p.Elapsed.TotalSeconds > 0 ? p.BytesDone / p.Elapsed.TotalSeconds : 0;
        string of = p.TotalBytes is { } t ? $" of {t / 1e6:0.0} MB" : "";
        output.WriteLine($"downloading {p.FileName}: {p.BytesDone / 1e6:0.0} MB{of} at {rate / 1e6:0.0} MB/s" +
                         (done ? " — done" : ""));
    }
}
