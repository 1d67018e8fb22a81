using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Digits.Core.Backends;
using Digits.Gpu.Kernels;
using static Digits.Gpu.OpenCl.OpenClNative;

namespace Digits.Gpu.OpenCl;

/// <summary>
/// <see cref="IBackend"/> on an OpenCL 1.2 device through the ICD loader (<c>libOpenCL.so.1</c>): the kernels
/// of <c>Kernels/*.cl</c> behind <c>prelude_opencl.h</c>, built at run time with <c>-cl-std=CL1.2</c>, launched
/// on one in-order queue. <c>opencl:N</c> is the N-th device of <see cref="ListDevices"/> (GPUs first, then
/// CPUs, then the rest). Its twin is <see cref="Cuda.CudaBackend"/>; the ops themselves are in
/// <see cref="GpuBackend"/>.
/// <para>Work-groups: 256 work-items (16×16 for the GEMMs), halved until the device's
/// CL_DEVICE_MAX_WORK_GROUP_SIZE and every kernel's CL_KERNEL_WORK_GROUP_SIZE allow them (64 at least).
/// Launches from several threads are serialized by a lock, since clSetKernelArg on one kernel object is not
/// thread-safe.</para>
/// </summary>
public sealed unsafe class OpenClBackend : GpuBackend
{
    private const int SmallestGroup = 64;
    private readonly int _index;
    private readonly nint _device;
    private readonly Lock _launchGate = new();
    private ClContextHandle? _context;
    private ClQueueHandle? _queue;
    private ClProgramHandle? _program;
    private ClKernelHandle[] _kernels = [];

    private OpenClBackend(OpenClDeviceInfo device)
    {
        Device = device;
        _index = device.Index;
        _device = device.DeviceId;
        try
        {
            nint id = _device;
            nint context = clCreateContext(null, 1, &id, 0, 0, out int error);
            ThrowIfFailed(error, "clCreateContext(null, 1, &device, 0, 0, out error)");
            _context = new ClContextHandle(context);
            nint queue = clCreateCommandQueue(context, id, 0, out error);
            ThrowIfFailed(error, "clCreateCommandQueue(context, device, 0, out error)");
            _queue = new ClQueueHandle(queue);
            BuildKernels();
        }
        catch
        {
            ReleaseNative();
            throw;
        }
    }

    /// <summary>The device this backend runs on.</summary>
    public OpenClDeviceInfo Device { get; }

    public override string Name => $"opencl:{_index}";

    public override string Description =>
        $"{Name}: {Device.Name} ({Device.Type}, {Device.Platform}, {Device.OpenClCVersion}); kernels built at run " +
        $"time, work-groups of {GroupSize}, GEMM tiles of {GemmThreads * 4}×{GemmThreads * 4}";

    /// <summary>
    /// Creates the backend for <c>opencl:<paramref name="index"/></c>, or says why it cannot: no loader
    /// ("libOpenCL.so.1 not found: …"), no platform ("no OpenCL platform: install an ICD such as
    /// pocl-opencl-icd"), no such device ("OpenCL device 3 does not exist (1 found)"), or a failure setting it
    /// up. Native-library errors never escape.
    /// </summary>
    /// <exception cref="KernelCompilationException">the kernels did not build: a bug, not an absence.</exception>
    public static bool TryCreate(int index, [NotNullWhen(true)] out OpenClBackend? backend, out string reason)
    {
        backend = null;
        var list = OpenClDevices.List();
        if (!list.IsAvailable)
        {
            reason = list.Reason ?? "no OpenCL device";
            return false;
        }
        if (index < 0 || index >= list.Devices.Count)
        {
            reason = $"OpenCL device {index} does not exist ({list.Devices.Count} found)";
            return false;
        }
        var device = list.Devices[index];
        if (!SupportsOpenClC12(device.OpenClCVersion))
        {
            reason = $"OpenCL device {index} ({device.Name}) supports {device.OpenClCVersion}; the kernels need OpenCL C 1.2";
            return false;
        }
        try
        {
            backend = new OpenClBackend(device);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is not KernelCompilationException &&
                                  e is GpuException or DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"OpenCL device {index} ({list.Devices[index].Name}) could not be set up: {e.Message}";
            return false;
        }
    }

    /// <summary>True for "OpenCL C 1.2 …" and later (the text of CL_DEVICE_OPENCL_C_VERSION).</summary>
    internal static bool SupportsOpenClC12(string version)
    {
        var match = Regex.Match(version, @"OpenCL C (\d+)\.(\d+)");
        return match.Success && (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value)).CompareTo((1, 2)) >= 0;
    }

    /// <summary>Every OpenCL device in <c>opencl:N</c> order, or why there is none.</summary>
    public static DeviceList<OpenClDeviceInfo> ListDevices() => OpenClDevices.List();

    /// <summary>Builds the prelude, helpers and <paramref name="text"/> (as file <paramref name="file"/>) with the
    /// backend's options and throws what the build throws: the compile-error tests' hook.</summary>
    internal void CompileForTest(string file, string text)
    {
        string source = KernelSource.Compose(Dialect.OpenCl, [(file, text)]);
        using var program = OpenClProgram.Build(_context!, _device, source, Options, Compiler);
    }

    /// <summary>Creates (and releases) a kernel of the built program by name: the native-error tests' hook.</summary>
    internal void CreateKernelForTest(string name)
    {
        using var kernel = OpenClProgram.CreateKernel(_program!, name);
    }

    private string Options => $"-cl-std=CL1.2 {Definitions}";

    private string Compiler => $"OpenCL ({Device.Platform})";

    private void BuildKernels()
    {
        int group = 256;
        while (group > Device.MaxWorkGroupSize && group > SmallestGroup) group /= 2;
        string source = KernelSource.Compose(Dialect.OpenCl);
        while (true)
        {
            GroupSize = group;
            GemmThreads = group >= 256 ? 16 : 8;
            CheckWorkItemSizes();
            _program = OpenClProgram.Build(_context!, _device, source, Options, Compiler);
            _kernels = KernelSource.All.Select(k => OpenClProgram.CreateKernel(_program, KernelSource.Name(k))).ToArray();
            var tooBig = KernelSource.All.Where(k => OpenClProgram.MaxGroupSize(_kernels[(int)k], _device) < Needs(k))
                .ToList();
            if (tooBig.Count == 0) return;
            ReleaseKernels();
            if (group <= SmallestGroup)
                throw new GpuException("CL_INVALID_WORK_GROUP_SIZE", "the device cannot run the kernels' work-groups",
                    "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE)", -54,
                    $"{string.Join(", ", tooBig.Select(KernelSource.Name))} cannot run {SmallestGroup} work-items");
            group /= 2;
        }
    }

    private int Needs(Kernel kernel) => kernel is Kernel.LinearForward or Kernel.LinearBackwardInput
        or Kernel.LinearBackwardWeight ? GemmThreads * GemmThreads : GroupSize;

    private void CheckWorkItemSizes()
    {
        var sizes = OpenClDevices.MaxWorkItemSizes(_device);
        if (sizes.Length < 2 || sizes[0] < 32 || sizes[1] < (nuint)Math.Max(GemmThreads, GroupSize / 32))
            throw new GpuException("CL_INVALID_WORK_ITEM_SIZE", "the device's work-item sizes are too small",
                "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)", -55,
                $"need ≥ 32 × {Math.Max(GemmThreads, GroupSize / 32)}, have {string.Join(" × ", sizes)}");
    }

    protected override DeviceBuffer<T> AllocateCore<T>(int length)
    {
        long bytes = (long)length * Unsafe.SizeOf<T>();
        ClMemHandle? memory = null;
        if (bytes > 0)
        {
            string detail = $"requested {bytes} bytes; the device has {Device.GlobalMemoryBytes} bytes of global " +
                            $"memory and allocates at most {Device.MaxAllocationBytes} bytes at once";
            nint raw = clCreateBuffer(_context!.Raw, MemReadWrite, (nuint)bytes, null, out int error);
            ThrowIfFailed(error, "clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, out error)", detail);
            memory = new ClMemHandle(raw);
            int zero = 0;
            error = clEnqueueFillBuffer(_queue!.Raw, raw, &zero, sizeof(int), 0, (nuint)bytes, 0, null, null);
            if (error != Success)
            {
                memory.Dispose();
                throw Error(error, "clEnqueueFillBuffer(queue, buffer, &zero, 4, 0, bytes, 0, null, null)", detail);
            }
        }
        var buffer = new OpenClBuffer<T>(this, length, memory);
        Remember(buffer);
        return buffer;
    }

    protected override void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination)
    {
        int size = Unsafe.SizeOf<T>();
        nint memory = ((OpenClBuffer<T>)destination.Buffer).Memory;
        CountTransfer();
        fixed (T* host = source)
            ThrowIfFailed(clEnqueueWriteBuffer(_queue!.Raw, memory, 1, (nuint)((long)destination.Offset * size),
                (nuint)((long)source.Length * size), host, 0, null, null));
    }

    protected override void DownloadCore<T>(BufferView<T> source, Span<T> destination)
    {
        int size = Unsafe.SizeOf<T>();
        nint memory = ((OpenClBuffer<T>)source.Buffer).Memory;
        CountTransfer();
        fixed (T* host = destination)
            ThrowIfFailed(clEnqueueReadBuffer(_queue!.Raw, memory, 1, (nuint)((long)source.Offset * size),
                (nuint)((long)destination.Length * size), host, 0, null, null));
    }

    protected override void SynchronizeCore() => ThrowIfFailed(clFinish(_queue!.Raw));

    private protected override void Launch(Kernel kernel, in LaunchShape shape, ReadOnlySpan<KernelArg> args)
    {
        nint handle = _kernels[(int)kernel].Raw;
        nuint* global = stackalloc nuint[2];
        nuint* local = stackalloc nuint[2];
        global[0] = (nuint)((long)shape.GroupsX * shape.LocalX);
        global[1] = (nuint)((long)shape.GroupsY * shape.LocalY);
        local[0] = (nuint)shape.LocalX;
        local[1] = (nuint)shape.LocalY;
        lock (_launchGate)
        {
            fixed (KernelArg* arg = args)
                for (int i = 0; i < args.Length; i++)
                {
                    int result = clSetKernelArg(handle, (uint)i, (nuint)arg[i].Size, &arg[i]);
                    if (result != Success)
                        throw Error(result, $"clSetKernelArg({KernelSource.Name(kernel)}, {i}, {arg[i].Size}, value)");
                }
            int launched = clEnqueueNDRangeKernel(_queue!.Raw, handle, 2, null, global, local, 0, null, null);
            if (launched != Success)
                throw Error(launched, $"clEnqueueNDRangeKernel({KernelSource.Name(kernel)}, global {global[0]}×" +
                                      $"{global[1]}, local {local[0]}×{local[1]})");
        }
    }

    private void ReleaseKernels()
    {
        foreach (var kernel in _kernels) kernel.Dispose();
        _kernels = [];
        _program?.Dispose();
        _program = null;
    }

    private protected override void ReleaseNative()
    {
        if (_queue is { IsInvalid: false, IsClosed: false }) _ = clFinish(_queue.Raw);
        ReleaseKernels();
        _queue?.Dispose();
        _context?.Dispose();
    }
}
