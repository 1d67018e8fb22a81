using System.Diagnostics;
using System.Reflection;
using System.Text;
using ILGPU.Backends.EntryPoints;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

/// <summary>
/// Loads a kernel family so that a failure names its kernel and carries the driver's log. ILGPU writes the CUDA JIT's
/// error log (and OpenCL's build log) only to <see cref="Trace"/>, and its exception does not say which kernel of a
/// family failed: so the family loads under a <see cref="Trace"/> listener, and on failure each of its kernels is
/// compiled and loaded alone (<see cref="FirstFailure"/>) to find the one at fault and its log.
/// </summary>
internal static class KernelLoading
{
    /// <summary>Runs <paramref name="load"/> (the family's <c>Load</c>).</summary>
    /// <exception cref="KernelLoadException">one of the family's kernels did not compile or load.</exception>
    public static void Load(KernelSet kernels, Type family, Action<KernelSet> load)
    {
        using var log = new TraceCapture();
        try
        {
            load(kernels);
        }
        catch (Exception e) when (e is not KernelLoadException and not OutOfMemoryException)
        {
            var methods = KernelSet.All.Where(k => k.Method.DeclaringType == family).ToArray();
            var failure = FirstFailure(kernels.Accelerator, methods);
            throw new KernelLoadException(kernels.Accelerator.Name,
                failure?.Kernel ?? $"{family.Name} (each kernel loads alone)", failure?.Error ?? e,
                failure?.Log is { Length: > 0 } alone ? alone : log.Text);
        }
    }

    /// <summary>Compiles and loads each of <paramref name="kernels"/> alone on <paramref name="accelerator"/>; the
    /// first that fails, with its exception and what ILGPU traced meanwhile (the driver's JIT log), or null.</summary>
    public static (string Kernel, Exception Error, string Log)? FirstFailure(Accelerator accelerator,
        IEnumerable<(MethodInfo Method, bool Grouped)> kernels)
    {
        foreach (var (method, grouped) in kernels)
        {
            using var log = new TraceCapture();
            try
            {
                var entry = grouped
                    ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
                    : EntryPointDescription.FromImplicitlyGroupedKernel(method);
                var compiled = accelerator.CompileKernel(entry);
                using var loaded = grouped ? accelerator.LoadKernel(compiled) : accelerator.LoadAutoGroupedKernel(compiled);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ($"{method.DeclaringType!.Name}.{method.Name}", e, log.Text);
            }
        }
        return null;
    }

    /// <summary>Collects what is written to <see cref="Trace"/> while it is alive.</summary>
    private sealed class TraceCapture : TraceListener
    {
        private readonly StringBuilder _text = new();

        public TraceCapture() => Trace.Listeners.Add(this);

        public string Text
        {
            get
            {
                lock (_text) return _text.ToString().Trim();
            }
        }

        public override void Write(string? message)
        {
            lock (_text) _text.Append(message);
        }

        public override void WriteLine(string? message)
        {
            lock (_text) _text.AppendLine(message);
        }

        protected override void Dispose(bool disposing)
        {
            Trace.Listeners.Remove(this);
            base.Dispose(disposing);
        }
    }
}
