using System.Reflection;
using System.Runtime.InteropServices;

namespace Digits.Benchmarks;

/// <summary>
/// The cuBLAS entry points the yardstick uses (<c>libcublas.so.12</c>, else <c>.so.11</c>, else <c>.so</c>, also
/// under <c>$CUDA_PATH/lib64</c>, <c>$CUDA_HOME/lib64</c> and <c>/usr/local/cuda/lib64</c>), with their C names.
/// <c>cublasHandle_t</c> and <c>cudaStream_t</c> (the same thing as a driver <c>CUstream</c>) are <c>nint</c>,
/// device pointers <c>ulong</c>, <c>cublasStatus_t</c> an <c>int</c>. Only the benchmark binds cuBLAS: Digits
/// itself never needs it.
/// </summary>
internal static unsafe partial class CublasNative
{
    public const string Library = "cublas";
    public const int StatusSuccess = 0;

    /// <summary>cublasOperation_t.</summary>
    public const int OpN = 0, OpT = 1;

    /// <summary>cublasMath_t: CUBLAS_DEFAULT_MATH (FP32 stays FP32: no TF32 unless NVIDIA_TF32_OVERRIDE=1 or
    /// CUBLAS_TF32_TENSOR_OP_MATH is asked for) and CUBLAS_PEDANTIC_MATH (no reduced-precision shortcuts at
    /// all).</summary>
    public const int DefaultMath = 0, PedanticMath = 2;

    private static (nint Handle, string? Path)? s_loaded;

    static CublasNative() =>
        NativeLibrary.SetDllImportResolver(typeof(CublasNative).Assembly, Resolve);

    /// <summary>The file names tried, first to last.</summary>
    public static IReadOnlyList<string> Candidates { get; } = BuildCandidates();

    /// <summary>Loads cuBLAS (once) and says from where; false when none of <see cref="Candidates"/> loads.</summary>
    public static bool TryLoad(out string? path)
    {
        s_loaded ??= Load();
        path = s_loaded.Value.Path;
        return s_loaded.Value.Handle != 0;
    }

    [LibraryImport(Library)]
    public static partial int cublasCreate_v2(out nint handle);

    [LibraryImport(Library)]
    public static partial int cublasDestroy_v2(nint handle);

    [LibraryImport(Library)]
    public static partial int cublasGetVersion_v2(nint handle, out int version);

    [LibraryImport(Library)]
    public static partial int cublasSetStream_v2(nint handle, nint stream);

    [LibraryImport(Library)]
    public static partial int cublasSetMathMode(nint handle, int mode);

    /// <summary>C(m,n) = α·op(A)(m,k)·op(B)(k,n) + β·C, all column-major; α and β in host memory (the default
    /// pointer mode).</summary>
    [LibraryImport(Library)]
    public static partial int cublasSgemm_v2(nint handle, int transA, int transB, int m, int n, int k, float* alpha,
        ulong a, int lda, ulong b, int ldb, float* beta, ulong c, int ldc);

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the status unless it is success.</summary>
    public static void ThrowIfFailed(int status, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(status))]
        string call = "")
    {
        if (status != StatusSuccess) throw new InvalidOperationException($"{call} failed: {StatusName(status)}");
    }

    /// <summary>cublasStatus_t's name (cublasGetStatusName is 11.4+, so the table is ours).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus_t {status}",
    };

    private static (nint, string?) Load()
    {
        foreach (string name in Candidates)
            if (NativeLibrary.TryLoad(name, out nint handle)) return (handle, name);
        return (0, null);
    }

    // The benchmark assembly's one resolver: cuBLAS by our list, everything else (libc) the default way.
    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Library && TryLoad(out _) ? s_loaded!.Value.Handle : 0;

    private static string[] BuildCandidates()
    {
        if (OperatingSystem.IsWindows()) return ["cublas64_12.dll", "cublas64_11.dll"];
        string[] names = ["libcublas.so.12", "libcublas.so.11", "libcublas.so"];
        var all = new List<string>(names);
        var folders = new List<string>();
        foreach (string variable in new[] { "CUDA_PATH", "CUDA_HOME" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
                folders.Add(Path.Combine(root, "lib64"));
        folders.Add("/usr/local/cuda/lib64");
        foreach (string folder in folders)
            foreach (string name in names)
                all.Add(Path.Combine(folder, name));
        return [.. all];
    }
}

/// <summary>
/// A cuBLAS handle bound to a stream, with the three dense-layer GEMMs of Digits' row-major layout written as
/// column-major SGEMMs. A row-major (r, c) matrix is, read column-major, its (c, r) transpose, so each op asks
/// for the transpose of its result:
/// <list type="bullet">
/// <item>forward y(B,O) = x(B,I)·W(O,I)ᵀ: yᵀ(O,B) = W·xᵀ → Sgemm(T, N, m=O, n=B, k=I, A=W lda=I, B=x ldb=I, ldc=O);</item>
/// <item>backward-input dx(B,I) = dz(B,O)·W(O,I): dxᵀ(I,B) = Wᵀ·dzᵀ → Sgemm(N, N, m=I, n=B, k=O, A=W lda=I, B=dz
/// ldb=O, ldc=I);</item>
/// <item>backward-weight dW(O,I) = dz(B,O)ᵀ·x(B,I): dWᵀ(I,O) = xᵀ·dz → Sgemm(N, T, m=I, n=O, k=B, A=x lda=I, B=dz
/// ldb=O, ldc=I).</item>
/// </list>
/// The context the stream belongs to must be current on the calling thread.
/// </summary>
internal sealed unsafe class CublasHandle : IDisposable
{
    private nint _handle;

    public CublasHandle(nint stream, int mathMode)
    {
        CublasNative.ThrowIfFailed(CublasNative.cublasCreate_v2(out _handle));
        try
        {
            CublasNative.ThrowIfFailed(CublasNative.cublasSetStream_v2(_handle, stream));
            CublasNative.ThrowIfFailed(CublasNative.cublasSetMathMode(_handle, mathMode));
            CublasNative.ThrowIfFailed(CublasNative.cublasGetVersion_v2(_handle, out int version));
            Version = version;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>cuBLAS's version number, e.g. 120903 for 12.9.3.</summary>
    public int Version { get; }

    public string VersionText => $"{Version / 10000}.{Version / 100 % 100}.{Version % 100}";

    /// <summary>Queues <paramref name="op"/> on the handle's stream with the operands as <see cref="GemmRunner"/>
    /// names them: forward (x, W → y), backward-input (dz, W → dx), backward-weight (x, dz → dW).</summary>
    public void Gemm(GemmOp op, int batch, int inputs, int outputs, ulong a, ulong b, ulong c)
    {
        float alpha = 1f, beta = 0f;
        int status = op switch
        {
            GemmOp.Forward => CublasNative.cublasSgemm_v2(_handle, CublasNative.OpT, CublasNative.OpN,
                outputs, batch, inputs, &alpha, b, inputs, a, inputs, &beta, c, outputs),
            GemmOp.BackwardInput => CublasNative.cublasSgemm_v2(_handle, CublasNative.OpN, CublasNative.OpN,
                inputs, batch, outputs, &alpha, b, inputs, a, outputs, &beta, c, inputs),
            _ => CublasNative.cublasSgemm_v2(_handle, CublasNative.OpN, CublasNative.OpT,
                inputs, outputs, batch, &alpha, a, inputs, b, outputs, &beta, c, inputs),
        };
        CublasNative.ThrowIfFailed(status, $"cublasSgemm_v2({op}, B={batch}, I={inputs}, O={outputs})");
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        _ = CublasNative.cublasDestroy_v2(_handle);
        _handle = 0;
    }
}
