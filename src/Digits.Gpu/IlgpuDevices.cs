using Digits.Gpu.Cuda;
using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Digits.Gpu;

/// <summary>The three kinds of accelerator the ILGPU backend drives.</summary>
public enum GpuKind
{
    /// <summary>ILGPU's CUDA accelerator (NVIDIA GPUs, PTX).</summary>
    Cuda,

    /// <summary>ILGPU's OpenCL accelerator, on devices with the generic address space (OpenCL 2.0, or 3.0 with
    /// the feature): AMD and Intel GPUs.</summary>
    OpenCl,

    /// <summary>ILGPU's CPU accelerator: the same kernels, one OS thread per GPU thread; for checking and
    /// debugging, never chosen by <c>auto</c>.</summary>
    IlgpuCpu,
}

/// <summary>
/// One device ILGPU found, or a device kind it could not use. <see cref="Name"/> is how <c>--device</c> spells it
/// (<c>cuda:0</c>, <c>opencl:1</c>, <c>ilgpu-cpu</c>; a kind with no device at all is listed by its bare kind,
/// <c>cuda</c> or <c>opencl</c>); <see cref="Reason"/> says, when it is not <see cref="Available"/>, what ILGPU
/// needs and what the device or machine has.
/// </summary>
public sealed record GpuDevice(string Name, GpuKind Kind, string Hardware, bool Available, string Reason, bool IsGpu,
    long MemoryBytes)
{
    /// <summary>FP32 FMA peak in GFLOP/s where it is known (CUDA: <see cref="CudaPeak"/>), else null.</summary>
    public double? PeakGflops { get; init; }

    /// <summary>How <see cref="PeakGflops"/> was computed, in words, where it is known.</summary>
    public string? PeakSource { get; init; }

    /// <summary>CUDA only: the device's architecture (<c>sm_90</c>), the PTX ISA ILGPU emits for it with this
    /// driver (<c>8.8</c>) and the <c>.target</c> it writes (<c>sm_80</c>: ILGPU's highest feature level; the driver
    /// JIT-compiles for the device itself).</summary>
    public string? Architecture { get; init; }

    /// <inheritdoc cref="Architecture"/>
    public string? PtxIsa { get; init; }

    /// <inheritdoc cref="Architecture"/>
    public string? PtxTarget { get; init; }

    public override string ToString() => Available ? $"{Name}: {Hardware}" : $"{Name}: {Reason}";
}

/// <summary>
/// Finds what ILGPU can run on, with a reason for everything it cannot, and opens an <see cref="IlgpuBackend"/>.
/// A missing driver is never an exception here and ILGPU's silent CPU fallback (a context without devices gets a
/// CPU device) never passes for the device asked for: each kind is looked up in a context of its own and its
/// device collection checked.
/// </summary>
public static class IlgpuDevices
{
    private static readonly Lazy<IReadOnlyList<GpuDevice>> Found = new(Discover);

    /// <summary>The CPU accelerator's shape: warps of 32, 8 warps (256 threads) per group, like a GPU's.</summary>
    internal static CPUDevice CpuDevice { get; } = new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8,
        numMultiprocessors: 1);

    /// <summary>Every CUDA and OpenCL device (or the reason there is none) and <c>ilgpu-cpu</c>; found once per
    /// process.</summary>
    public static IReadOnlyList<GpuDevice> List() => Found.Value;

    /// <summary>Opens the backend for <paramref name="name"/> (<c>cuda[:N]</c>, <c>opencl[:N]</c>,
    /// <c>ilgpu-cpu</c>), or says why not.</summary>
    /// <exception cref="GpuException">the device is listed as available but ILGPU failed to set it up (a
    /// native error, named).</exception>
    public static bool TryCreate(string name, out IlgpuBackend? backend, out string reason)
    {
        backend = null;
        string wanted = name is "cuda" or "opencl" ? name + ":0" : name;
        var device = List().FirstOrDefault(d => d.Name == wanted);
        if (device is null)
        {
            var kind = List().Where(d => d.Name.StartsWith(name.Split(':')[0], StringComparison.Ordinal)).ToArray();
            reason = kind.Length == 1 && !kind[0].Available ? kind[0].Reason
                : kind.Length == 0 ? $"'{name}' is not a device ILGPU drives"
                : $"{name} does not exist ({string.Join(", ", kind.Select(d => d.Name))} found)";
            return false;
        }
        if (!device.Available)
        {
            reason = device.Reason;
            return false;
        }
        backend = IlgpuBackend.Open(device);
        reason = "";
        return true;
    }

    /// <summary>A context for <paramref name="device"/> holding it alone, with the optimizations and algorithms
    /// (XMath for PTX) the kernels need, and the accelerator on it.</summary>
    internal static (Context Context, Accelerator Accelerator) Open(GpuDevice device)
    {
        NativeLibraries.Install();
        GpuTrace.FromEnvironment();
        int index = device.Name.Contains(':') ? int.Parse(device.Name.Split(':')[1],
            System.Globalization.CultureInfo.InvariantCulture) : 0;
        Context? context = null;
        try
        {
            switch (device.Kind)
            {
                case GpuKind.Cuda:
                    context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
                    var cuda = Listed(context.GetCudaDevices()).FirstOrDefault(d => d.DeviceId == index)
                               ?? throw new InvalidOperationException($"{device.Name} vanished");
                    return (context, cuda.CreateAccelerator(context));
                case GpuKind.OpenCl:
                    var target = OpenClDevices()[index];
                    context = Context.Create(b => b.OpenCL(d => d.DeviceId == target.DeviceId)
                        .EnableAlgorithms().Optimize(OptimizationLevel.O2));
                    var cl = context.GetCLDevices();
                    if (cl.Count == 0) throw new InvalidOperationException($"{device.Name} vanished");
                    return (context, cl[0].CreateAccelerator(context));
                default:
                    context = Context.Create(b => b.CPU(CpuDevice).EnableAlgorithms().Optimize(OptimizationLevel.O2));
                    return (context, context.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel));
            }
        }
        catch
        {
            context?.Dispose();
            throw;
        }
    }

    private static IReadOnlyList<GpuDevice> Discover()
    {
        NativeLibraries.Install();
        GpuTrace.FromEnvironment();
        var list = new List<GpuDevice>();
        list.AddRange(CudaDevices());
        list.AddRange(ClDevices());
        list.Add(new GpuDevice("ilgpu-cpu", GpuKind.IlgpuCpu,
            $"ILGPU CPU accelerator: the GPU kernels on {Environment.ProcessorCount} cores, one OS thread per GPU " +
            "thread, 256 per group (for checking and debugging kernels; slow)", true, "", false, 0));
        return list;
    }

    private static IEnumerable<GpuDevice> CudaDevices()
    {
        if (!NativeLibraries.Present("cuda")) return [Missing("cuda", GpuKind.Cuda, CudaDriver.Probe())];
        try
        {
            // Every device the driver reports, then which of them ILGPU 1.5.3 can compile for. ILGPU ignores the
            // driver's errors while listing, so when it finds none the driver is asked directly and its answer named.
            using var all = Context.Create(b => b.Cuda(_ => true));
            using var usable = Context.Create(b => b.Cuda());
            var devices = Listed(all.GetCudaDevices());
            if (devices.Count == 0)
                return [Missing("cuda", GpuKind.Cuda, $"ILGPU lists no CUDA device; the driver says: {CudaDriver.Probe()}")];
            var ok = Listed(usable.GetCudaDevices()).Select(d => d.DeviceId).ToHashSet();
            return devices.Select((d, i) => Describe(d, i, ok.Contains(d.DeviceId))).ToArray();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or AcceleratorException)
        {
            return [Missing("cuda", GpuKind.Cuda, $"the NVIDIA driver could not be used: {e.Message}; the driver says: " +
                                                  CudaDriver.Probe())];
        }
    }

    /// <summary>cuda:<paramref name="index"/> with its name, memory, compute capability, SMs, driver, the PTX ISA and
    /// .target ILGPU emits for it, and its FP32 peak.</summary>
    private static GpuDevice Describe(CudaDevice d, int index, bool usable)
    {
        string arch = d.Architecture is { } a ? $"sm_{a.Major}{a.Minor}" : "sm_?";
        string? isa = d.InstructionSet is { } set ? $"{set.Major}.{set.Minor}" : null;
        string? target = (d.Capabilities as CudaCapabilityContext)?.TargetArchitecture is { } t
            ? $"sm_{t.Major}{t.Minor}" : null;
        int major = d.Architecture?.Major ?? 0, minor = d.Architecture?.Minor ?? 0;
        string hardware = $"{d.Name}, compute {major}.{minor} ({arch}), {d.NumMultiprocessors} SMs at {d.ClockRate} MHz, " +
                          $"{d.MemorySize / (1 << 20):N0} MiB, driver CUDA {d.DriverVersion}; ILGPU emits " +
                          (isa is null ? "no PTX for it" : $"PTX ISA {isa} for .target {target}, JIT-compiled by the driver for {arch}");
        return new GpuDevice($"cuda:{index}", GpuKind.Cuda, hardware, usable,
            usable ? "" : $"{d.Name}: ILGPU 1.5.3 has no PTX target for compute {major}.{minor} with driver CUDA {d.DriverVersion}",
            true, d.MemorySize)
        {
            PeakGflops = CudaPeak.Gflops(d.NumMultiprocessors, major, minor, d.ClockRate),
            PeakSource = CudaPeak.LanesPerSm(major, minor) == 0 ? null
                : CudaPeak.Source(d.NumMultiprocessors, major, minor, d.ClockRate),
            Architecture = arch,
            PtxIsa = isa,
            PtxTarget = target,
        };
    }

    private static IReadOnlyList<CLDevice> OpenClDevices()
    {
        using var all = Context.Create(b => b.OpenCL(_ => true));
        return Listed(all.GetCLDevices());
    }

    private static IEnumerable<GpuDevice> ClDevices()
    {
        if (!NativeLibraries.Present("OpenCL"))
            return [Missing("opencl", GpuKind.OpenCl,
                $"{NativeLibraries.Candidates("OpenCL")[0]} not found: no OpenCL ICD loader (ocl-icd-libopencl1) " +
                "or platform on this machine")];
        try
        {
            var devices = OpenClDevices();
            if (devices.Count == 0)
                return [Missing("opencl", GpuKind.OpenCl, "no OpenCL platform or device is installed")];
            return devices.Select((d, i) =>
            {
                bool gpu = d.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_GPU);
                string what = $"{d.Name} ({d.PlatformName}, {d.DeviceVersion}, OpenCL C {d.CLStdVersion})";
                bool ok = d.CLStdVersion >= CLBackend.MinimumVersion && d.Capabilities.GenericAddressSpace;
                string reason = ok ? "" : d.CLStdVersion < CLBackend.MinimumVersion
                    ? $"{what}: OpenCL C {d.CLStdVersion} is older than the {CLBackend.MinimumVersion} ILGPU compiles to"
                    : $"{what}: no generic address space, which ILGPU's OpenCL C needs (OpenCL 2.0, or 3.0 with " +
                      "__opencl_c_generic_address_space: AMD ROCm, Intel NEO)";
                return new GpuDevice($"opencl:{i}", GpuKind.OpenCl, what, ok, reason, gpu, d.MemorySize);
            }).ToArray();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or AcceleratorException)
        {
            return [Missing("opencl", GpuKind.OpenCl, $"the OpenCL platform could not be used: {e.Message}")];
        }
    }

    /// <summary>A context's devices of one kind as a list (ILGPU's collection is a ref struct).</summary>
    private static List<T> Listed<T>(Context.DeviceCollection<T> devices) where T : Device
    {
        var list = new List<T>();
        foreach (var device in devices) list.Add(device);
        return list;
    }

    private static GpuDevice Missing(string name, GpuKind kind, string reason) =>
        new(name, kind, "", false, reason, kind != GpuKind.IlgpuCpu, 0);
}
