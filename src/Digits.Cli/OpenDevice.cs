using Digits.Core.Backends;

namespace Digits.Cli;

/// <summary>A backend opened for a command, with the sentence that says which device it is and why.</summary>
internal sealed class OpenDevice(IBackend backend, string explanation) : IDisposable
{
    public IBackend Backend { get; } = backend;
    public string Explanation { get; } = explanation;
    public void Dispose() => Backend.Dispose();
}
