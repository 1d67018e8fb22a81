using Digits.Core.Backends;
using Digits.Gpu.Cuda;
using Digits.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Digits.Gpu;

/// <summary>
/// <see cref="IBackend"/> over one ILGPU <see cref="Accelerator"/>: CUDA, OpenCL or ILGPU's CPU accelerator run the
/// same C# kernels (<c>Kernels/*.cs</c>), all loaded when the backend opens. One explicit stream carries every copy
/// and launch (never ILGPU's default stream, which CUDA cannot capture); no op synchronizes or copies, so the loss
/// and correct-count scalars stay on the device until someone downloads them. On CUDA a whole training step can be
/// recorded once as a CUDA graph and replayed (<see cref="IStepCapture"/>, <see cref="CudaGraphs"/>).
/// <para>Lifetime: disposing the backend frees every buffer of it still live, then the stream, the accelerator
/// and the context.</para>
/// <para>Errors: a native failure is a <see cref="GpuException"/> naming the CUDA or OpenCL error, the operation
/// and, for out of memory, the bytes asked for and the device's memory.</para>
/// </summary>
public sealed class IlgpuBackend : BackendBase, IStepCapture
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly KernelSet _kernels;
    private readonly MemoryBuffer1D<Float4, Stride1D.Dense> _dummy;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _gemmWorkspace;
    private readonly Float4Views _float4;
    private readonly HashSet<IDisposable> _live = [];
    private readonly Lock _liveGate = new();
    private long _hostTransfers, _launchesBeforeCapture = -1;

    private IlgpuBackend(GpuDevice device, Context context, Accelerator accelerator)
    {
        Device = device;
        _context = context;
        _accelerator = accelerator;
        _stream = accelerator.CreateStream();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _kernels = Guard("loading the kernels", () => new KernelSet(accelerator));
        KernelLoadSeconds = clock.Elapsed.TotalSeconds;
        _dummy = accelerator.Allocate1D<Float4>(1);
        _float4 = new Float4Views(_dummy.View);
        Multiprocessors = Math.Max(1, accelerator.NumMultiprocessors);
        long workspace = GemmPlanner.WorkspaceFloats(Multiprocessors);
        _gemmWorkspace = Guard($"allocating the {workspace * sizeof(float):N0}-byte split-K workspace",
            () => accelerator.Allocate1D<float>(workspace), workspace * sizeof(float));
    }

    /// <summary>Opens <paramref name="device"/>; the caller disposes the backend.</summary>
    /// <exception cref="GpuException">ILGPU could not set the device up or compile a kernel.</exception>
    internal static IlgpuBackend Open(GpuDevice device)
    {
        var (context, accelerator) = Guard($"opening {device.Name}", () => IlgpuDevices.Open(device));
        try
        {
            return new IlgpuBackend(device, context, accelerator);
        }
        catch
        {
            accelerator.Dispose();
            context.Dispose();
            throw;
        }
    }

    /// <summary>What was opened.</summary>
    public GpuDevice Device { get; }

    public GpuKind Kind => Device.Kind;

    public override string Name => Device.Name;

    public override string Description => Kind switch
    {
        GpuKind.Cuda => $"{Name}: {Device.Hardware} (ILGPU CUDA accelerator)",
        GpuKind.OpenCl => $"{Name}: {Device.Hardware} (ILGPU OpenCL accelerator)",
        _ => $"ilgpu-cpu: {Device.Hardware}",
    };

    /// <summary>Seconds ILGPU took to compile and load every kernel when the backend opened.</summary>
    public double KernelLoadSeconds { get; }

    /// <summary>Uploads and downloads since creation: a training step adds none.</summary>
    public long HostTransfers => Interlocked.Read(ref _hostTransfers);

    /// <summary>The device's multiprocessors (SMs on CUDA, compute units on OpenCL, 1 on ilgpu-cpu): the GEMM plans
    /// (<see cref="GemmPlanner"/>) spread each GEMM over at least this many blocks where they can.</summary>
    public int Multiprocessors { get; }

    /// <summary>Floats of the split-K workspace, allocated once when the backend opens (so no step allocates; not
    /// counted in <see cref="BackendBase.AllocatedBytes"/>).</summary>
    public long GemmWorkspaceFloats => _gemmWorkspace.Length;

    /// <summary>The plan of a GEMM C(M,N) = A(M,K)·B(K,N) on this device, or the forced tile and split count.</summary>
    /// <exception cref="InvalidOperationException">a forced plan whose partials do not fit the workspace.</exception>
    internal GemmPlan GemmPlanFor(int m, int n, int k)
    {
        if (ForcedGemmPlan is not { } forced) return GemmPlanner.Plan(m, n, k, Multiprocessors, _gemmWorkspace.Length);
        var plan = GemmPlan.Forced(forced.Tile, forced.Splits, k);
        if (plan.WorkspaceFloats(m, n) > _gemmWorkspace.Length)
            throw new InvalidOperationException($"plan {plan} for {m}×{n}×{k} needs {plan.WorkspaceFloats(m, n):N0} " +
                $"floats of workspace; the backend has {_gemmWorkspace.Length:N0}");
        return plan;
    }

    /// <summary>When set, every GEMM uses this tile and split count instead of its plan (tests, benchmarks).</summary>
    internal (GemmTileSize Tile, int Splits)? ForcedGemmPlan { get; set; }

    /// <summary>Whether the GEMMs may read aligned tiles with 16-byte loads (default); tests and the benchmark
    /// turn it off to compare with element-by-element loads.</summary>
    public bool VectorLoads
    {
        get => _float4.Enabled;
        set => _float4.Enabled = value;
    }

    /// <summary>The accelerator and stream, for interop callers (the cuBLAS yardstick) that queue their own work
    /// in order with the backend's.</summary>
    internal Accelerator Accelerator => _accelerator;

    internal AcceleratorStream Stream => _stream;

    /// <summary>A kernel argument for <paramref name="view"/> (a sub-view of its buffer).</summary>
    internal static ArrayView<T> V<T>(BufferView<T> view) where T : unmanaged =>
        ((IlgpuBuffer<T>)view.Buffer).Kernel(view.Offset, view.Length);

    protected override DeviceBuffer<T> AllocateCore<T>(int length)
    {
        long bytes = (long)Math.Max(length, 1) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var memory = Guard($"allocating {bytes:N0} bytes", () => _accelerator.Allocate1D<T>(Math.Max(length, 1)), bytes);
        var buffer = new IlgpuBuffer<T>(this, length, memory);
        lock (_liveGate) _live.Add(buffer);
        try
        {
            Guard("zeroing a new buffer", () => memory.View.MemSetToZero(_stream));
        }
        catch
        {
            Free(buffer, memory);
            throw;
        }
        return buffer;
    }

    /// <summary>Frees one buffer's memory (never throws: a buffer may outlive a failed device).</summary>
    internal void Free(IDisposable buffer, MemoryBuffer memory)
    {
        lock (_liveGate)
            if (!_live.Remove(buffer)) return;
        try
        {
            memory.Dispose();
        }
        catch (AcceleratorException)
        {
        }
    }

    protected override void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination)
    {
        Interlocked.Increment(ref _hostTransfers);
        var view = V(destination);
        var copy = source.ToArray(); // CopyFromCPU takes a span; the lambda cannot capture one
        Guard("copying to the device", () => view.CopyFromCPU(_stream, new ReadOnlySpan<T>(copy)));
    }

    protected override void DownloadCore<T>(BufferView<T> source, Span<T> destination)
    {
        Interlocked.Increment(ref _hostTransfers);
        var view = V(source);
        var host = new T[destination.Length];
        Guard("copying from the device", () => view.CopyToCPU(_stream, new Span<T>(host)));
        host.CopyTo(destination);
    }

    protected override void SynchronizeCore() => Guard("synchronizing", () => _stream.Synchronize());

    protected override void FillCore(float value, BufferView<float> destination) =>
        Guard("Fill", () => FillKernels.LaunchFill(_kernels, _stream, V(destination).Cast<int>(),
            BitConverter.SingleToInt32Bits(value)));

    protected override void FillCore(int value, BufferView<int> destination) =>
        Guard("Fill", () => FillKernels.LaunchFill(_kernels, _stream, V(destination), value));

    protected override void LinearForwardCore(BufferView<float> x, BufferView<float> weight, BufferView<float> bias,
        Activation activation, int batch, int inputs, int outputs, BufferView<float> y) =>
        Guard("LinearForward", () => LinearKernels.LaunchLinearForward(_kernels, _stream, _float4,
            GemmPlanFor(batch, outputs, inputs), _gemmWorkspace.View, V(x), V(weight), V(bias), (int)activation, batch,
            inputs, outputs, V(y)));

    protected override void ActivationBackwardCore(BufferView<float> y, BufferView<float> dy, Activation activation,
        int count, BufferView<float> dz) =>
        Guard("ActivationBackward", () => ActivationKernels.LaunchActivationBackward(_kernels, _stream,
            V(y).SubView(0, count), V(dy).SubView(0, count), (int)activation, count, V(dz).SubView(0, count)));

    protected override void LinearBackwardInputCore(BufferView<float> dz, BufferView<float> weight, int batch,
        int inputs, int outputs, BufferView<float> dx) =>
        Guard("LinearBackwardInput", () => LinearKernels.LaunchLinearBackwardInput(_kernels, _stream, _float4,
            GemmPlanFor(batch, inputs, outputs), _gemmWorkspace.View, V(dz), V(weight), batch, inputs, outputs, V(dx)));

    protected override void LinearBackwardWeightCore(BufferView<float> x, BufferView<float> dz, int batch,
        int inputs, int outputs, BufferView<float> dWeight) =>
        Guard("LinearBackwardWeight", () => LinearKernels.LaunchLinearBackwardWeight(_kernels, _stream, _float4,
            GemmPlanFor(outputs, inputs, batch), _gemmWorkspace.View, V(x), V(dz), batch, inputs, outputs,
            V(dWeight)));

    protected override void BiasBackwardCore(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias) =>
        Guard("BiasBackward", () => BiasKernels.LaunchBiasBackward(_kernels, _stream, V(dz), batch, outputs, V(dBias)));

    protected override void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dLogits, BufferView<float> lossSum) =>
        Guard("SoftmaxCrossEntropy", () => LossKernels.LaunchSoftmaxCrossEntropy(_kernels, _stream, V(logits),
            V(labels), batch, classes, scale, V(dLogits), V(lossSum)));

    protected override void QuadraticCostCore(BufferView<float> outputs, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dPre, BufferView<float> lossSum) =>
        Guard("QuadraticCost", () => LossKernels.LaunchQuadraticCost(_kernels, _stream, V(outputs), V(labels), batch,
            classes, scale, V(dPre), V(lossSum)));

    protected override void ArgmaxCore(BufferView<float> scores, int batch, int classes, BufferView<int> predictions) =>
        Guard("Argmax", () => MetricsKernels.LaunchArgmax(_kernels, _stream, V(scores), batch, classes,
            V(predictions).SubView(0, batch)));

    protected override void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, int batch,
        int classes, BufferView<int> correct) =>
        Guard("CountCorrect", () => MetricsKernels.LaunchCountCorrect(_kernels, _stream, V(scores), V(labels), batch,
            classes, V(correct)));

    protected override void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, BufferView<int> counter, int stride, int batch, int features, BufferView<float> x,
        BufferView<int> y) =>
        Guard("GatherBatch", () => GatherKernels.LaunchGatherBatch(_kernels, _stream, V(images), V(labels),
            V(indices), V(counter), stride, batch, features, V(x), V(y)));

    protected override void SgdStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float weightDecay, BufferView<float> parameters) =>
        Guard("SgdStep", () => OptimizerKernels.LaunchSgdStep(_kernels, _stream, V(gradients), count,
            OptimizerKernels.Shape(decayCount, V(schedule), weightDecay), V(schedule), V(counter), V(parameters)));

    protected override void MomentumStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float momentum, float weightDecay,
        BufferView<float> velocity, BufferView<float> parameters) =>
        Guard("MomentumStep", () => OptimizerKernels.LaunchMomentumStep(_kernels, _stream, V(gradients), count,
            OptimizerKernels.Shape(decayCount, V(schedule), weightDecay, momentum), V(schedule), V(counter),
            V(velocity), V(parameters)));

    protected override void AdamStepCore(BufferView<float> gradients, int count, int decayCount,
        in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter, BufferView<float> m,
        BufferView<float> v, BufferView<float> parameters)
    {
        var shape = OptimizerKernels.Shape(decayCount, V(schedule), adam.WeightDecay, 0f, adam.Beta1, adam.Beta2,
            adam.Epsilon);
        Guard("AdamStep", () => OptimizerKernels.LaunchAdamStep(_kernels, _stream, V(gradients), count, shape,
            V(schedule), V(counter), V(m), V(v), V(parameters)));
    }

    protected override void AdvanceStepCore(BufferView<int> counter, BufferView<float> lossSum) =>
        Guard("AdvanceStep", () => OptimizerKernels.LaunchAdvanceStep(_kernels, _stream, V(counter), V(lossSum)));

    protected override void DropoutCore(BufferView<float> x, BufferView<int> counter, in DropoutParameters dropout,
        int count, BufferView<float> y)
    {
        var d = dropout;
        Guard("Dropout", () => RegularizationKernels.LaunchDropout(_kernels, _stream, V(x).SubView(0, count), V(counter),
            d, count, V(y).SubView(0, count)));
    }

    protected override void MaxNormCore(BufferView<float> weight, int outputs, int inputs, float maxNorm) =>
        Guard("MaxNorm", () => RegularizationKernels.LaunchMaxNorm(_kernels, _stream,
            V(weight).SubView(0, (long)outputs * inputs), outputs, inputs, maxNorm));

    protected override void AugmentCore(BufferView<float> x, BufferView<int> counter, in AugmentParameters augment,
        int batch, BufferView<float> gaussian, BufferView<float> field, BufferView<float> y)
    {
        var a = augment;
        long pixels = (long)batch * a.Height * a.Width;
        Guard("Augment", () => RegularizationKernels.LaunchAugment(_kernels, _stream, V(x).SubView(0, pixels),
            V(counter), a, batch, V(gaussian), V(field).SubView(0, a.FieldLength(batch)), V(y).SubView(0, pixels)));
        // BackendBase counted one launch; with an elastic field there are four kernels (the raw field, its two
        // Gaussian passes, the warp).
        if (a.ElasticRadius > 0) Launches += 3;
    }

    // --- CUDA graphs -------------------------------------------------------------------------------------------

    /// <summary>On CUDA, unless <c>DIGITS_CUDA_GRAPHS=0</c>.</summary>
    public bool CaptureEnabled =>
        Kind == GpuKind.Cuda && Environment.GetEnvironmentVariable("DIGITS_CUDA_GRAPHS") != "0";

    /// <summary>Whether ops are being recorded rather than run.</summary>
    public bool Capturing => _launchesBeforeCapture >= 0;

    /// <summary>Starts recording the backend's stream (<c>cuStreamBeginCapture_v2</c>, thread-local mode).</summary>
    /// <exception cref="InvalidOperationException">already recording.</exception>
    public bool TryBeginCapture(out string reason)
    {
        ThrowIfDisposed();
        if (Capturing) throw new InvalidOperationException("the stream is already being captured");
        if (_stream is not CudaStream cuda)
        {
            reason = $"{Name} is not a CUDA device";
            return false;
        }
        _accelerator.Bind();
        int result;
        try
        {
            result = CudaGraphs.cuStreamBeginCapture_v2(cuda.StreamPtr, CudaGraphs.CaptureModeThreadLocal);
        }
        catch (EntryPointNotFoundException)
        {
            reason = "the driver has no cuStreamBeginCapture_v2";
            return false;
        }
        if (result != 0)
        {
            reason = $"cuStreamBeginCapture_v2: {CudaGraphs.Name(result)}";
            return false;
        }
        _launchesBeforeCapture = Launches;
        reason = "";
        return true;
    }

    /// <summary>Ends the recording (<c>cuStreamEndCapture</c>) and instantiates it; null with the reason when
    /// either fails. Recorded ops are not counted as launches; each replay counts one.</summary>
    /// <exception cref="InvalidOperationException">not recording.</exception>
    public IStepGraph? EndCapture(out string reason)
    {
        ThrowIfDisposed();
        if (!Capturing) throw new InvalidOperationException("the stream is not being captured");
        Launches = _launchesBeforeCapture;
        _launchesBeforeCapture = -1;
        _accelerator.Bind();
        nint stream = ((CudaStream)_stream).StreamPtr;
        int result = CudaGraphs.cuStreamEndCapture(stream, out nint graph);
        if (result != 0)
        {
            if (graph != 0) _ = CudaGraphs.cuGraphDestroy(graph);
            reason = $"cuStreamEndCapture: {CudaGraphs.Name(result)}";
            return null;
        }
        nint exec;
        try
        {
            result = CudaGraphs.cuGraphInstantiateWithFlags(out exec, graph, 0);
        }
        catch (EntryPointNotFoundException)
        {
            _ = CudaGraphs.cuGraphDestroy(graph);
            reason = "the driver has no cuGraphInstantiateWithFlags (CUDA 11.4+)";
            return null;
        }
        if (result != 0)
        {
            _ = CudaGraphs.cuGraphDestroy(graph);
            reason = $"cuGraphInstantiateWithFlags: {CudaGraphs.Name(result)}";
            return null;
        }
        reason = "";
        return new StepGraph(this, graph, exec);
    }

    private sealed class StepGraph(IlgpuBackend backend, nint graph, nint exec) : IStepGraph
    {
        private nint _graph = graph, _exec = exec;

        public void Launch()
        {
            ObjectDisposedException.ThrowIf(_exec == 0, this);
            backend.ThrowIfDisposed();
            backend._accelerator.Bind();
            backend.Launches++;
            int result = CudaGraphs.cuGraphLaunch(_exec, ((CudaStream)backend._stream).StreamPtr);
            if (result != 0)
                throw new GpuException(CudaGraphs.Name(result), "a recorded training step failed to launch",
                    "cuGraphLaunch(step graph, stream)", result);
        }

        public void Dispose()
        {
            if (_exec == 0) return;
            if (!backend.IsDisposed)
            {
                backend._accelerator.Bind();
                _ = CudaGraphs.cuGraphExecDestroy(_exec);
                _ = CudaGraphs.cuGraphDestroy(_graph);
            }
            _exec = 0;
            _graph = 0;
        }
    }

    // --- errors and lifetime -----------------------------------------------------------------------------------

    private void Guard(string operation, Action action, long bytes = -1) =>
        Guard(operation, () =>
        {
            action();
            return 0;
        }, bytes);

    private T Guard<T>(string operation, Func<T> action, long bytes = -1)
    {
        ThrowIfDisposed();
        return Guard(operation, action, bytes, Device, AllocatedBytes);
    }

    private static T Guard<T>(string operation, Func<T> action) => Guard(operation, action, -1, null, 0);

    /// <summary>Runs <paramref name="action"/>, turning ILGPU's exceptions into <see cref="GpuException"/> with the
    /// native error's name and the operation.</summary>
    private static T Guard<T>(string operation, Func<T> action, long bytes, GpuDevice? device, long held)
    {
        try
        {
            return action();
        }
        catch (CudaException e)
        {
            string? detail = bytes >= 0 && e.Error == "CUDA_ERROR_OUT_OF_MEMORY" && device is not null
                ? $"requested {bytes:N0} bytes with {held:N0} bytes already held by Digits; the device has " +
                  $"{device.MemoryBytes:N0} bytes"
                : null;
            throw new GpuException(e.Error, e.Message, operation, 0, detail);
        }
        catch (CLException e)
        {
            throw new GpuException(e.Error.ToString(), e.Message, operation, (int)e.Error);
        }
        catch (InternalCompilerException e)
        {
            throw new KernelCompilationException(e, operation);
        }
        catch (OutOfMemoryException) when (bytes >= 0)
        {
            throw new GpuException("OUT_OF_MEMORY", "the CPU accelerator could not allocate host memory", operation, 0,
                $"requested {bytes:N0} bytes with {held:N0} bytes already held by Digits");
        }
        catch (AcceleratorException e)
        {
            throw new GpuException(e.GetType().Name, e.Message, operation, 0);
        }
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            _stream.Synchronize();
        }
        catch (AcceleratorException)
        {
        }
        // Buffers their owners forgot: each is disposed (so LiveBuffers is 0 and a later Dispose does nothing).
        IDisposable[] left;
        lock (_liveGate) left = [.. _live];
        foreach (var buffer in left) buffer.Dispose();
        _dummy.Dispose();
        _gemmWorkspace.Dispose();
        _stream.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }
}
