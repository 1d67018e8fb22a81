using System.Runtime.InteropServices;

namespace Digits.Cli.Commands;

/// <summary>Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation the trainer checks between mini-batches.</summary>
internal sealed class InterruptSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    public InterruptSignal()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                // The first signal: finish the current mini-batch, save a checkpoint if asked, stop cleanly. A second
                // one while that happens: stop at once (files are written atomically, so nothing half-written stays).
                context.Cancel = !_source.IsCancellationRequested;
                _source.Cancel();
            }));
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _source.Dispose();
    }
}
