using System.Diagnostics;

namespace Digits.Gpu;

/// <summary>
/// <c>DIGITS_TRACE=1</c> sends what ILGPU writes to .NET's <see cref="Trace"/> (the CUDA JIT's error log, OpenCL build
/// logs, its own diagnostics) to standard error, each line prefixed <c>ilgpu: </c>. Switched on once, when the first
/// ILGPU device is listed or opened.
/// </summary>
public static class GpuTrace
{
    private static readonly Lock Gate = new();
    private static bool s_checked;

    /// <summary>Whether <paramref name="value"/> (the variable's value) asks for the trace: <c>1</c> or
    /// <c>true</c>.</summary>
    public static bool Requested(string? value) =>
        value is "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Attaches standard error when <c>DIGITS_TRACE</c> asks for it (once per process).</summary>
    public static void FromEnvironment()
    {
        lock (Gate)
        {
            if (s_checked) return;
            s_checked = true;
            if (Requested(Environment.GetEnvironmentVariable("DIGITS_TRACE"))) Attach(Console.Error);
        }
    }

    /// <summary>Sends <see cref="Trace"/> output to <paramref name="writer"/> until the result is disposed.</summary>
    public static IDisposable Attach(TextWriter writer)
    {
        var listener = new PrefixedListener(writer);
        Trace.Listeners.Add(listener);
        return listener;
    }

    private sealed class PrefixedListener(TextWriter writer) : TraceListener
    {
        private bool _lineStart = true;

        public override void Write(string? message)
        {
            lock (writer)
            {
                if (_lineStart) writer.Write("ilgpu: ");
                writer.Write(message);
                _lineStart = false;
                writer.Flush();
            }
        }

        public override void WriteLine(string? message)
        {
            lock (writer)
            {
                if (_lineStart) writer.Write("ilgpu: ");
                writer.WriteLine(message?.Replace("\n", "\nilgpu: "));
                _lineStart = true;
                writer.Flush();
            }
        }

        protected override void Dispose(bool disposing)
        {
            Trace.Listeners.Remove(this);
            base.Dispose(disposing);
        }
    }
}
