namespace Digits.Core.Backends;

/// <summary>
/// Implements <see cref="IBackend"/>'s argument checks, memory accounting and launch counting once, so a
/// backend writes only the arithmetic (<c>…Core</c> methods), which may assume valid arguments: every view
/// belongs to this backend and is long enough, every size is ≥ 0.
/// <para>Each op (in <c>BackendBase.Ops.cs</c>) is its checks, then one call of <see cref="Launch{TArgs}"/>: the single
/// point where every op is counted and where an <see cref="Interceptor"/> (the profiler, a step recorder) sees it, so
/// neither repeats the ops. Transfers, allocations and synchronizations pass the interceptor too.</para>
/// </summary>
public abstract partial class BackendBase : IBackend
{
    private int _liveBuffers;
    private long _allocatedBytes;
    private long _peakAllocatedBytes;
    private bool _disposed;

    public abstract string Name { get; }
    public abstract string Description { get; }
    public int LiveBuffers => Volatile.Read(ref _liveBuffers);
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);
    public long PeakAllocatedBytes => Interlocked.Read(ref _peakAllocatedBytes);
    public long Launches { get; protected set; }

    /// <summary>True once disposed.</summary>
    protected bool IsDisposed => _disposed;

    /// <summary>Sees every op, transfer, allocation and synchronization once its arguments are checked (see
    /// <see cref="IOpInterceptor"/>); null (the default): they run directly. One at a time: setting it replaces the
    /// one before.</summary>
    public IOpInterceptor? Interceptor { get; set; }

    public DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(int))
            throw new NotSupportedException($"{Name} buffers hold float or int, not {typeof(T).Name}");
        var buffer = Interceptor is { } interceptor ? Intercepted<T>(interceptor, length) : AllocateCore<T>(length);
        Interlocked.Increment(ref _liveBuffers);
        long now = Interlocked.Add(ref _allocatedBytes, buffer.SizeInBytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peakAllocatedBytes)) &&
               Interlocked.CompareExchange(ref _peakAllocatedBytes, now, peak) != peak)
        {
        }
        return buffer;
    }

    /// <summary>Called by <see cref="DeviceBuffer{T}.Dispose"/> after the memory is freed.</summary>
    internal void OnBufferReleased(long bytes)
    {
        Interlocked.Decrement(ref _liveBuffers);
        Interlocked.Add(ref _allocatedBytes, -bytes);
    }

    public void Upload<T>(ReadOnlySpan<T> source, BufferView<T> destination) where T : unmanaged
    {
        Check(destination, nameof(destination));
        if (source.Length != destination.Length)
            throw new ArgumentException(
                $"upload of {source.Length} elements into a view of {destination.Length}", nameof(source));
        if (source.Length == 0) return;
        if (Interceptor is { } interceptor) Intercepted(interceptor, source.ToArray(), destination);
        else UploadCore(source, destination);
    }

    public void Download<T>(BufferView<T> source, Span<T> destination) where T : unmanaged
    {
        Check(source, nameof(source));
        if (source.Length != destination.Length)
            throw new ArgumentException(
                $"download of {source.Length} elements into a span of {destination.Length}", nameof(destination));
        if (source.Length == 0) return;
        if (Interceptor is { } interceptor) Intercepted(interceptor, source).CopyTo(destination);
        else DownloadCore(source, destination);
    }

    public void Fill(float value, BufferView<float> destination)
    {
        Check(destination, nameof(destination));
        if (destination.Length == 0) return;
        Launch(OpInfo.Launch(nameof(Fill)), (value, destination), static (b, a) => b.FillCore(a.value, a.destination));
    }

    public void Fill(int value, BufferView<int> destination)
    {
        Check(destination, nameof(destination));
        if (destination.Length == 0) return;
        Launch(OpInfo.Launch(nameof(Fill)), (value, destination), static (b, a) => b.FillCore(a.value, a.destination));
    }

    public void Synchronize()
    {
        ThrowIfDisposed();
        if (Interceptor is { } interceptor)
            interceptor.Intercept(new OpInfo(nameof(Synchronize), OpKind.Synchronization), SynchronizeCore);
        else SynchronizeCore();
    }

    /// <summary>
    /// The one point every op passes once its arguments are checked: counts the launch, then runs the op's
    /// <c>…Core</c> (<paramref name="core"/>, given its arguments as <paramref name="args"/>) or hands it to the
    /// <see cref="Interceptor"/>. <paramref name="core"/> is a static lambda and <paramref name="args"/> a value tuple,
    /// so without an interceptor nothing is allocated (the CPU backend's step allocates nothing).
    /// </summary>
    private void Launch<TArgs>(in OpInfo op, TArgs args, Action<BackendBase, TArgs> core)
    {
        Launches++;
        if (Interceptor is { } interceptor) interceptor.Intercept(op, Bind(core, args));
        else core(this, args);
    }

    private Action Bind<TArgs>(Action<BackendBase, TArgs> core, TArgs args) => () => core(this, args);

    // Transfers and allocations as an interceptor sees them: spans cannot be kept in a closure, so host memory
    // goes through an array (only when someone intercepts).

    private DeviceBuffer<T> Intercepted<T>(IOpInterceptor interceptor, int length) where T : unmanaged
    {
        DeviceBuffer<T>? buffer = null;
        interceptor.Intercept(new OpInfo(nameof(Allocate), OpKind.Allocation, length),
            () => buffer = AllocateCore<T>(length));
        return buffer ?? throw new InvalidOperationException("the interceptor did not run the allocation");
    }

    private void Intercepted<T>(IOpInterceptor interceptor, T[] source, BufferView<T> destination)
        where T : unmanaged =>
        interceptor.Intercept(new OpInfo(nameof(Upload), OpKind.Transfer), () => UploadCore<T>(source, destination));

    private T[] Intercepted<T>(IOpInterceptor interceptor, BufferView<T> source) where T : unmanaged
    {
        var host = new T[source.Length];
        interceptor.Intercept(new OpInfo(nameof(Download), OpKind.Transfer),
            () => DownloadCore(source, host));
        return host;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend's own native state (buffers are disposed by their owners).</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    protected abstract DeviceBuffer<T> AllocateCore<T>(int length) where T : unmanaged;
    protected abstract void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination) where T : unmanaged;
    protected abstract void DownloadCore<T>(BufferView<T> source, Span<T> destination) where T : unmanaged;
    protected abstract void FillCore(float value, BufferView<float> destination);
    protected abstract void FillCore(int value, BufferView<int> destination);
    protected abstract void SynchronizeCore();

    /// <exception cref="ObjectDisposedException">the backend was disposed.</exception>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void Check<T>(BufferView<T> view, string name) where T : unmanaged
    {
        ThrowIfDisposed();
        if (view.Buffer is null) throw new ArgumentException("view has no buffer", name);
        if (!ReferenceEquals(view.Buffer.Owner, this))
            throw new ArgumentException($"{name} is a buffer of {view.Buffer.Owner.Name}, not of {Name}", name);
        ObjectDisposedException.ThrowIf(view.Buffer.IsDisposed, view.Buffer);
    }

    private void Need<T>(BufferView<T> view, long elements, string name) where T : unmanaged
    {
        Check(view, name);
        if (view.Length < elements)
            throw new ArgumentException($"{name} holds {view.Length} elements; the op needs {elements}", name);
    }

    private static void Sizes(params ReadOnlySpan<int> sizes)
    {
        foreach (int s in sizes)
            if (s < 0) throw new ArgumentOutOfRangeException(nameof(sizes), s, "sizes must be ≥ 0");
    }
}
