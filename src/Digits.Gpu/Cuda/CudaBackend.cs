using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Digits.Core.Backends;
using Digits.Gpu.Kernels;
using static Digits.Gpu.Cuda.CudaNative;

namespace Digits.Gpu.Cuda;

/// <summary>
/// <see cref="IBackend"/> on an NVIDIA GPU through the CUDA driver API (<c>libcuda.so.1</c>): the kernels of
/// <c>Kernels/*.cl</c> behind <c>prelude_cuda.h</c>, compiled by NVRTC for the device's architecture, cached
/// on disk (<see cref="KernelCache"/>), and launched on one non-blocking stream the backend creates (so a
/// whole step can later be captured into a CUDA graph). Runs in the device's primary context, made current
/// on whichever thread calls. Its twin is <see cref="OpenCl.OpenClBackend"/>; the ops are in
/// <see cref="GpuBackend"/>. No op synchronizes the host; <see cref="IBackend.Download{T}"/> and
/// <see cref="IBackend.Synchronize"/> do.
/// </summary>
public sealed unsafe class CudaBackend : GpuBackend, IStepCapture
{
    private const int GroupThreads = 256, GemmSide = 16;
    private static long s_nextId;
    [ThreadStatic] private static long t_currentId;

    private readonly long _id = Interlocked.Increment(ref s_nextId);
    private readonly int _device;
    private nint _context;
    private nint _stream;
    private nint _module;
    private nint[] _functions = [];
    private long _launchesBeforeCapture = -1;

    private CudaBackend(CudaDeviceInfo device)
    {
        Device = device;
        GroupSize = GroupThreads;
        GemmThreads = GemmSide;
        try
        {
            ThrowIfFailed(cuDeviceGet(out _device, device.Index));
            ThrowIfFailed(cuDevicePrimaryCtxRetain(out _context, _device));
            Interlocked.Increment(ref CudaObjects.Contexts);
            MakeCurrent();
            ThrowIfFailed(cuStreamCreate(out _stream, StreamNonBlocking));
            Interlocked.Increment(ref CudaObjects.Streams);
            LoadKernels();
        }
        catch
        {
            ReleaseNative();
            throw;
        }
    }

    /// <summary>The device this backend runs on.</summary>
    public CudaDeviceInfo Device { get; }

    /// <summary>What the kernels were built as, e.g. "sm_90 CUBIN by NVRTC 13.0".</summary>
    public string KernelTarget { get; private set; } = "";

    /// <summary>True when the compiled kernels came from the disk cache rather than NVRTC.</summary>
    public bool KernelsFromCache { get; private set; }

    /// <summary>Seconds spent compiling or loading the kernels at creation.</summary>
    public double KernelLoadSeconds { get; private set; }

    public override string Name => $"cuda:{Device.Index}";

    public override string Description =>
        $"{Name}: {Device.Name} (compute capability {Device.ComputeCapability}, {Device.MultiprocessorCount} SMs), " +
        $"driver {Device.DriverVersionText}; kernels {KernelTarget}{(KernelsFromCache ? ", from the cache" : "")}";

    /// <summary>
    /// Creates the backend for <c>cuda:<paramref name="index"/></c>, or says why it cannot: "libcuda.so.1 not
    /// found", "no CUDA device", "CUDA device 3 does not exist (1 found)", NVRTC missing, or a driver error while
    /// setting it up. Native-library errors never escape.
    /// </summary>
    /// <exception cref="KernelCompilationException">NVRTC rejected the kernels: a bug, not an absence.</exception>
    public static bool TryCreate(int index, [NotNullWhen(true)] out CudaBackend? backend, out string reason)
    {
        backend = null;
        var list = CudaDevices.List();
        if (!list.IsAvailable)
        {
            reason = list.Reason ?? "no CUDA device";
            return false;
        }
        if (index < 0 || index >= list.Devices.Count)
        {
            reason = $"CUDA device {index} does not exist ({list.Devices.Count} found)";
            return false;
        }
        if (!NativeLibraries.TryLoad(NativeLibraries.Nvrtc, out _))
        {
            reason = $"NVRTC not found (tried {string.Join(", ", NativeLibraries.Candidates(NativeLibraries.Nvrtc))}): " +
                     "it ships with the CUDA toolkit (package cuda-nvrtc)";
            return false;
        }
        try
        {
            backend = new CudaBackend(list.Devices[index]);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is not KernelCompilationException &&
                                  e is GpuException or DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"CUDA device {index} ({list.Devices[index].Name}) could not be set up: {e.Message}";
            return false;
        }
    }

    /// <summary>Every CUDA device in <c>cuda:N</c> order, or why there is none.</summary>
    public static DeviceList<CudaDeviceInfo> ListDevices() => CudaDevices.List();

    /// <summary>Compiles the prelude, helpers and <paramref name="text"/> (as file <paramref name="file"/>) with
    /// NVRTC for this device and throws what it throws: the compile-error tests' hook.</summary>
    internal void CompileForTest(string file, string text) =>
        CudaCompiler.Compile(KernelSource.Compose(Dialect.Cuda, [(file, text)]), Target(), Compiler());

    /// <summary>Looks a function up in the loaded module by name: the native-error tests' hook.</summary>
    internal void GetFunctionForTest(string name)
    {
        MakeCurrent();
        ThrowIfFailed(cuModuleGetFunction(out _, _module, name), $"cuModuleGetFunction(out function, module, \"{name}\")");
    }

    /// <summary>The backend's stream (a <c>CUstream</c>): interop callers (the cuBLAS yardstick benchmark) queue
    /// their own work on it so that it orders with the backend's ops.</summary>
    internal nint Stream => _stream;

    /// <summary>Makes the backend's context current on the calling thread, for interop callers that use the
    /// current context (cuBLAS's handle and calls).</summary>
    internal void MakeContextCurrent() => MakeCurrent();

    private CudaCompiler.Target Target() =>
        CudaCompiler.For(Device.ComputeCapabilityMajor, Device.ComputeCapabilityMinor, Definitions);

    private static string Compiler()
    {
        var (major, minor) = CudaCompiler.Version();
        return $"NVRTC {major}.{minor}";
    }

    private void LoadKernels()
    {
        var clock = Stopwatch.StartNew();
        string source = KernelSource.Compose(Dialect.Cuda);
        var target = Target();
        string compiler = Compiler();
        var cache = KernelCache.Default();
        string key = KernelCache.Key(source, string.Join(' ', target.Options), Device.DriverVersion.ToString(), compiler);
        byte[]? image = cache.TryRead(key);
        KernelsFromCache = image is not null && TryLoadModule(image);
        if (!KernelsFromCache)
        {
            if (image is not null) cache.Delete(key); // the driver refused it: compile afresh
            image = CudaCompiler.Compile(source, target, compiler);
            fixed (byte* data = image) ThrowIfFailed(cuModuleLoadData(out _module, data));
            Interlocked.Increment(ref CudaObjects.Modules);
            cache.Write(key, image);
        }
        KernelTarget = $"{target.Description} by {compiler}";
        _functions = new nint[KernelSource.All.Count];
        foreach (var kernel in KernelSource.All)
        {
            string name = KernelSource.Name(kernel);
            ThrowIfFailed(cuModuleGetFunction(out _functions[(int)kernel], _module, name), $"cuModuleGetFunction(\"{name}\")");
            int needs = kernel is Kernel.LinearForward or Kernel.LinearBackwardInput or Kernel.LinearBackwardWeight
                ? GemmThreads * GemmThreads : GroupSize;
            ThrowIfFailed(cuFuncGetAttribute(out int most, FunctionAttributeMaxThreadsPerBlock, _functions[(int)kernel]));
            if (most < needs)
                throw new GpuException("CUDA_ERROR_INVALID_VALUE", "a kernel cannot run its block size",
                    "cuFuncGetAttribute(CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK)", 1,
                    $"{name} runs at most {most} threads per block; it is launched with {needs}");
        }
        KernelLoadSeconds = clock.Elapsed.TotalSeconds;
    }

    private bool TryLoadModule(byte[] image)
    {
        fixed (byte* data = image)
            if (cuModuleLoadData(out _module, data) != Success) return false;
        Interlocked.Increment(ref CudaObjects.Modules);
        return true;
    }

    /// <summary>Makes the backend's context current on this thread (a no-op when it already is).</summary>
    private void MakeCurrent()
    {
        if (t_currentId == _id) return;
        ThrowIfFailed(cuCtxSetCurrent(_context));
        t_currentId = _id;
    }

    protected override DeviceBuffer<T> AllocateCore<T>(int length)
    {
        long bytes = (long)length * Unsafe.SizeOf<T>();
        ulong pointer = 0;
        if (bytes > 0)
        {
            MakeCurrent();
            int result = cuMemAlloc_v2(out pointer, (nuint)bytes);
            if (result != Success)
            {
                string detail = result == ErrorOutOfMemory && cuMemGetInfo_v2(out nuint free, out nuint total) == Success
                    ? $"requested {bytes} bytes; {free} of {total} bytes free"
                    : $"requested {bytes} bytes";
                throw Error(result, "cuMemAlloc_v2(out pointer, bytes)", detail);
            }
            Interlocked.Increment(ref CudaObjects.Allocations);
            result = cuMemsetD32Async(pointer, 0, (nuint)(bytes / sizeof(int)), _stream);
            if (result != Success)
            {
                Free(pointer);
                throw Error(result, "cuMemsetD32Async(pointer, 0, count, stream)");
            }
        }
        var buffer = new CudaBuffer<T>(this, length, pointer);
        Remember(buffer);
        return buffer;
    }

    /// <summary>Frees device memory with the context current; never throws (see <see cref="GpuBuffer{T}"/>).</summary>
    internal void Free(ulong pointer)
    {
        if (pointer == 0) return;
        if (t_currentId != _id && cuCtxSetCurrent(_context) == Success) t_currentId = _id;
        _ = cuMemFree_v2(pointer);
        Interlocked.Decrement(ref CudaObjects.Allocations);
    }

    protected override void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination)
    {
        MakeCurrent();
        CountTransfer();
        int size = Unsafe.SizeOf<T>();
        ulong address = ((CudaBuffer<T>)destination.Buffer).Address + (ulong)((long)destination.Offset * size);
        // Pageable memory: the driver copies it to a staging buffer before returning, so the span may go.
        fixed (T* host = source)
            ThrowIfFailed(cuMemcpyHtoDAsync_v2(address, host, (nuint)((long)source.Length * size), _stream));
    }

    protected override void DownloadCore<T>(BufferView<T> source, Span<T> destination)
    {
        MakeCurrent();
        CountTransfer();
        int size = Unsafe.SizeOf<T>();
        ulong address = ((CudaBuffer<T>)source.Buffer).Address + (ulong)((long)source.Offset * size);
        fixed (T* host = destination)
        {
            ThrowIfFailed(cuMemcpyDtoHAsync_v2(host, address, (nuint)((long)destination.Length * size), _stream));
            ThrowIfFailed(cuStreamSynchronize(_stream));
        }
    }

    protected override void SynchronizeCore()
    {
        MakeCurrent();
        ThrowIfFailed(cuStreamSynchronize(_stream));
    }

    private protected override void Launch(Kernel kernel, in LaunchShape shape, ReadOnlySpan<KernelArg> args)
    {
        MakeCurrent();
        void** parameters = stackalloc void*[args.Length];
        fixed (KernelArg* arg = args)
        {
            for (int i = 0; i < args.Length; i++) parameters[i] = &arg[i];
            int result = cuLaunchKernel(_functions[(int)kernel], (uint)shape.GroupsX, (uint)shape.GroupsY, 1,
                (uint)shape.LocalX, (uint)shape.LocalY, 1, 0, _stream, parameters, null);
            if (result != Success)
                throw Error(result, $"cuLaunchKernel({KernelSource.Name(kernel)}, grid {shape.GroupsX}×{shape.GroupsY}, " +
                                    $"block {shape.LocalX}×{shape.LocalY})");
        }
    }

    /// <summary>CUDA graphs are used unless the environment says <c>DIGITS_CUDA_GRAPHS=0</c>.</summary>
    public bool CaptureEnabled => Environment.GetEnvironmentVariable("DIGITS_CUDA_GRAPHS") != "0";

    /// <summary>Whether ops are being recorded rather than run (between <see cref="TryBeginCapture"/> and
    /// <see cref="EndCapture"/>).</summary>
    public bool Capturing => _launchesBeforeCapture >= 0;

    /// <summary>Starts recording the backend's stream (<c>cuStreamBeginCapture_v2</c>, thread-local mode): every
    /// op until <see cref="EndCapture"/> is recorded, not run. The ops recorded must not copy, synchronize or
    /// allocate, and every kernel should have run once before (lazy loading cannot happen while recording).</summary>
    /// <exception cref="InvalidOperationException">already recording.</exception>
    public bool TryBeginCapture(out string reason)
    {
        ThrowIfDisposed();
        if (Capturing) throw new InvalidOperationException("the stream is already being captured");
        MakeCurrent();
        int result;
        try
        {
            result = cuStreamBeginCapture_v2(_stream, StreamCaptureModeThreadLocal);
        }
        catch (EntryPointNotFoundException)
        {
            reason = $"driver {Device.DriverVersionText} has no cuStreamBeginCapture_v2";
            return false;
        }
        if (result != Success)
        {
            reason = $"cuStreamBeginCapture_v2: {Describe(result).Name}";
            return false;
        }
        _launchesBeforeCapture = Launches;
        reason = "";
        return true;
    }

    /// <summary>Ends the recording (<c>cuStreamEndCapture</c>) and instantiates it
    /// (<c>cuGraphInstantiateWithFlags</c>); null with the reason when either fails. The recorded ops are not
    /// counted as launches; each <see cref="IStepGraph.Launch"/> (<c>cuGraphLaunch</c>) counts one.</summary>
    /// <exception cref="InvalidOperationException">not recording.</exception>
    public IStepGraph? EndCapture(out string reason)
    {
        ThrowIfDisposed();
        if (!Capturing) throw new InvalidOperationException("the stream is not being captured");
        MakeCurrent();
        Launches = _launchesBeforeCapture;
        _launchesBeforeCapture = -1;
        int result = cuStreamEndCapture(_stream, out nint graph);
        if (result != Success)
        {
            if (graph != 0) _ = cuGraphDestroy(graph);
            reason = $"cuStreamEndCapture: {Describe(result).Name}";
            return null;
        }
        nint exec = 0;
        try
        {
            result = cuGraphInstantiateWithFlags(out exec, graph, 0);
        }
        catch (EntryPointNotFoundException)
        {
            result = -1;
        }
        if (result != Success)
        {
            _ = cuGraphDestroy(graph);
            reason = result == -1
                ? $"driver {Device.DriverVersionText} has no cuGraphInstantiateWithFlags (CUDA 11.4+)"
                : $"cuGraphInstantiateWithFlags: {Describe(result).Name}";
            return null;
        }
        Interlocked.Increment(ref CudaObjects.Graphs);
        reason = "";
        return new StepGraph(this, graph, exec);
    }

    /// <summary>A recorded step: the graph and its executable, destroyed on dispose (a launch still in flight
    /// finishes first: the driver frees it then).</summary>
    private sealed class StepGraph(CudaBackend backend, nint graph, nint exec) : IStepGraph
    {
        private nint _graph = graph, _exec = exec;

        public void Launch()
        {
            ObjectDisposedException.ThrowIf(_exec == 0, this);
            backend.ThrowIfDisposed();
            backend.MakeCurrent();
            backend.Launches++;
            ThrowIfFailed(cuGraphLaunch(_exec, backend._stream), "cuGraphLaunch(step graph, stream)");
        }

        public void Dispose()
        {
            if (_exec == 0) return;
            // After the backend is disposed its context is gone and took the graph with it.
            if (!backend.IsDisposed)
            {
                if (t_currentId != backend._id && cuCtxSetCurrent(backend._context) == Success) t_currentId = backend._id;
                _ = cuGraphExecDestroy(_exec);
                _ = cuGraphDestroy(_graph);
            }
            Interlocked.Decrement(ref CudaObjects.Graphs);
            _exec = 0;
            _graph = 0;
        }
    }

    private protected override void ReleaseNative()
    {
        if (_context == 0) return;
        if (t_currentId != _id && cuCtxSetCurrent(_context) == Success) t_currentId = _id;
        if (_stream != 0)
        {
            _ = cuStreamSynchronize(_stream);
            _ = cuStreamDestroy_v2(_stream);
            Interlocked.Decrement(ref CudaObjects.Streams);
            _stream = 0;
        }
        if (_module != 0)
        {
            _ = cuModuleUnload(_module);
            Interlocked.Decrement(ref CudaObjects.Modules);
            _module = 0;
        }
        _ = cuDevicePrimaryCtxRelease_v2(_device);
        Interlocked.Decrement(ref CudaObjects.Contexts);
        _context = 0;
        t_currentId = 0;
    }
}
