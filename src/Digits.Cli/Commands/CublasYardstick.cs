using System.Runtime.InteropServices;
using Digits.Gpu;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Digits.Cli.Commands;

/// <summary>
/// cuBLAS through ILGPU.Algorithms' <see cref="CuBlas"/> (Digits itself never needs it; only the yardstick does),
/// bound to an <see cref="IlgpuBackend"/>'s CUDA accelerator and queued on the backend's own stream, with the three
/// dense-layer GEMMs of Digits' row-major layout written as column-major SGEMMs. ILGPU.Algorithms 1.5.3 loads
/// <c>libcublas.so.12</c>, <c>.11</c> or <c>.10</c> (Windows: <c>cublas64_12/11/10.dll</c>), newest first; it does not
/// look under <c>$CUDA_PATH</c>, so the library must be on the loader's path (<c>LD_LIBRARY_PATH</c>, ldconfig). Where
/// there is no <c>libcublas.so.12</c> but a <c>libcublas.so.13</c> (CUDA 13, as PyTorch's cu130 wheels bring), that one is
/// loaded in its place (<see cref="Library"/> says which): the entry points used here (<c>cublasCreate_v2</c>,
/// <c>cublasSetStream_v2</c>, <c>cublasSetMathMode</c>, <c>cublasGetVersion_v2</c>, <c>cublasSgemm_v2</c>,
/// <c>cublasDestroy_v2</c>) keep their signatures in cuBLAS 13, and the version printed is the library's own.
/// <para>A row-major (r, c) matrix is, read column-major, its (c, r) transpose, so each op asks for the transpose
/// of its result (row-major C(M,N) = A(M,K)·B(K,N) is <c>Gemm(N, N, n, m, k, 1, B, ldb, A, lda, 0, C, n)</c>):</para>
/// <list type="bullet">
/// <item>forward y(B,O) = x(B,I)·W(O,I)ᵀ: yᵀ(O,B) = W·xᵀ → Gemm(T, N, m=O, n=B, k=I, A=W lda=I, B=x ldb=I, ldc=O);</item>
/// <item>backward-input dx(B,I) = dz(B,O)·W(O,I): dxᵀ(I,B) = Wᵀ·dzᵀ → Gemm(N, N, m=I, n=B, k=O, A=W lda=I, B=dz
/// ldb=O, ldc=I);</item>
/// <item>backward-weight dW(O,I) = dz(B,O)ᵀ·x(B,I): dWᵀ(I,O) = xᵀ·dz → Gemm(N, T, m=I, n=O, k=B, A=x lda=I, B=dz
/// ldb=O, ldc=I).</item>
/// </list>
/// The math mode stays <see cref="CuBlasMathMode.DefaultMath"/> (FP32 in FP32: no TF32 unless the environment sets
/// <c>NVIDIA_TF32_OVERRIDE=1</c>); α and β are host scalars (cuBLAS' default pointer mode, which the
/// <see cref="CuBlas"/> class never changes).
/// </summary>
internal sealed class CublasYardstick : IDisposable
{
    private readonly CuBlas _blas;

    private static readonly Lock Gate = new();
    private static string s_library = "";
    private static bool s_resolverSet;

    private CublasYardstick(CuBlas blas) => _blas = blas;

    /// <summary>The file the loader gave for cuBLAS (e.g. <c>libcublas.so.13 in place of libcublas.so.12</c>).</summary>
    public static string Library => s_library;

    /// <summary>cuBLAS' version number, e.g. 120903 for 12.9.3.</summary>
    public int Version => _blas.Version;

    public string VersionText => $"{Version / 10000}.{Version / 100 % 100}.{Version % 100}";

    /// <summary>The math mode the handle computes FP32 GEMMs in.</summary>
    public CuBlasMathMode MathMode => _blas.MathMode;

    /// <summary>A handle on <paramref name="backend"/>'s CUDA accelerator and stream, or null with the reason: not
    /// a CUDA backend, or ILGPU.Algorithms found no cuBLAS it can load.</summary>
    /// <exception cref="CuBlasException">cuBLAS loaded but failed to set up.</exception>
    public static CublasYardstick? TryCreate(IlgpuBackend backend, out string reason)
    {
        if (backend.Accelerator is not CudaAccelerator cuda || backend.Stream is not CudaStream stream)
        {
            reason = $"{backend.Name} is not a CUDA device";
            return null;
        }
        CuBlas blas;
        try
        {
            MapCublas13();
            blas = new CuBlas(cuda);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException
                                      or BadImageFormatException)
        {
            reason = "ILGPU.Algorithms loads libcublas.so.10/11/12 (13 in place of 12), none found" +
                     (e is DllNotFoundException ? "" : $" ({e.GetType().Name}: {e.Message})");
            return null;
        }
        try
        {
            blas.Stream = stream;
            blas.MathMode = CuBlasMathMode.DefaultMath;
        }
        catch
        {
            blas.Dispose();
            throw;
        }
        reason = "";
        return new CublasYardstick(blas);
    }

    /// <summary>Queues <paramref name="op"/> on the backend's stream with the operands as <see cref="GemmBench"/>
    /// names them: forward (a = x, b = W → c = y), backward-input (a = dz, b = W → c = dx), backward-weight
    /// (a = x, b = dz → c = dW).</summary>
    public void Gemm(GemmOp op, int batch, int inputs, int outputs, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c)
    {
        const CuBlasOperation N = CuBlasOperation.NonTranspose, T = CuBlasOperation.Transpose;
        switch (op)
        {
            case GemmOp.Forward:
                _blas.Gemm(T, N, outputs, batch, inputs, 1f, b, inputs, a, inputs, 0f, c, outputs);
                break;
            case GemmOp.BackwardInput:
                _blas.Gemm(N, N, inputs, batch, outputs, 1f, b, inputs, a, outputs, 0f, c, inputs);
                break;
            default:
                _blas.Gemm(N, T, inputs, outputs, batch, 1f, a, inputs, b, outputs, 0f, c, inputs);
                break;
        }
    }

    public void Dispose() => _blas.Dispose();

    /// <summary>Lets ILGPU.Algorithms' <c>libcublas.so.12</c> import load <c>libcublas.so.13</c> when only that
    /// exists (once per process; the other names load as they would).</summary>
    private static void MapCublas13()
    {
        lock (Gate)
        {
            if (s_resolverSet) return;
            s_resolverSet = true;
            NativeLibrary.SetDllImportResolver(typeof(CuBlas).Assembly, (name, assembly, path) =>
            {
                if (!name.StartsWith("libcublas.so", StringComparison.Ordinal)) return 0;
                if (NativeLibrary.TryLoad(name, assembly, path, out nint handle))
                {
                    s_library = name;
                    return handle;
                }
                if (name == "libcublas.so.12" && NativeLibrary.TryLoad("libcublas.so.13", out handle))
                {
                    s_library = "libcublas.so.13 in place of libcublas.so.12";
                    return handle;
                }
                return 0;
            });
        }
    }
}
