using System.Globalization;
using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;

namespace Digits.Api;

/// <summary>
/// A device as <c>digits --device</c> and <see cref="DigitClassifier.Load"/> name it: <c>cpu</c> (SIMD on every
/// core), <c>reference</c> (plain loops, the oracle), <c>cuda[:N]</c>, <c>opencl[:N]</c>, <c>ilgpu-cpu</c> (the GPU
/// kernels on ILGPU's CPU accelerator), and, where the caller picks a device for the user, <c>auto</c>. The one parser
/// of device names; <see cref="TryOpen"/> opens the backend a name stands for.
/// </summary>
public sealed record DeviceName
{
    private DeviceName(string kind, int? index) => (Kind, Index) = (kind, index);

    /// <summary><c>auto</c>, <c>cpu</c>, <c>reference</c>, <c>cuda</c>, <c>opencl</c> or <c>ilgpu-cpu</c>.</summary>
    public string Kind { get; }

    /// <summary>N of <c>cuda:N</c> or <c>opencl:N</c>; null where none was given (the first device of the
    /// kind).</summary>
    public int? Index { get; }

    /// <summary>Whether the name leaves the choice to the caller (<c>auto</c>).</summary>
    public bool IsAuto => Kind == "auto";

    /// <summary>The names <see cref="Parse"/> accepts, as a message lists them.</summary>
    public static string Syntax(bool allowAuto) =>
        (allowAuto ? "auto, " : "") + "cpu, cuda[:N], opencl[:N], ilgpu-cpu or reference";

    /// <summary>Parses <paramref name="text"/> (case and surrounding blanks ignored); <c>auto</c> only where
    /// <paramref name="allowAuto"/>.</summary>
    /// <exception cref="FormatException">not a device name, or N is not a device number; the message quotes
    /// it.</exception>
    public static DeviceName Parse(string text, bool allowAuto = false)
    {
        text = text.Trim().ToLowerInvariant();
        string[] parts = text.Split(':');
        string kind = parts[0];
        bool known = kind is "cpu" or "opencl" or "cuda" or "reference" or "ilgpu-cpu" || (allowAuto && kind == "auto");
        if (!known || parts.Length > 2 || (parts.Length == 2 && kind is not ("opencl" or "cuda")))
            throw new FormatException($"'{text}' is not a device; use {Syntax(allowAuto)}");
        if (parts.Length == 1) return new DeviceName(kind, null);
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            throw new FormatException($"'{parts[1]}' in '{text}' is not a device number");
        return new DeviceName(kind, index);
    }

    /// <summary>Opens the backend this name stands for, or says why it cannot: <c>cpu</c> with
    /// <paramref name="threads"/> worker threads (0 = one per core), the others through ILGPU's discovery
    /// (<see cref="IlgpuDevices.TryCreate"/>).</summary>
    /// <exception cref="InvalidOperationException">the name is <c>auto</c>, which names no one device.</exception>
    /// <exception cref="GpuException">a device listed as available failed to open (a native error).</exception>
    public bool TryOpen(int threads, out IBackend? backend, out string reason)
    {
        if (IsAuto) throw new InvalidOperationException("'auto' names no one device; choose one first");
        backend = null;
        reason = "";
        switch (Kind)
        {
            case "cpu":
                backend = new CpuBackend(threads);
                return true;
            case "reference":
                backend = new ReferenceBackend();
                return true;
        }
        if (!IlgpuDevices.TryCreate(ToString(), out var gpu, out reason)) return false;
        backend = gpu;
        return true;
    }

    /// <summary>The name as <c>--device</c> spells it: <c>cuda:1</c>, <c>cpu</c>.</summary>
    public override string ToString() => Index is { } n ? $"{Kind}:{n.ToString(CultureInfo.InvariantCulture)}" : Kind;
}
