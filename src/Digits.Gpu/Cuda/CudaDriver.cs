using System.Runtime.InteropServices;
using System.Text;
using ILGPU.Runtime.Cuda;

namespace Digits.Gpu.Cuda;

/// <summary>
/// The CUDA driver calls Digits makes itself for diagnosis, beside <see cref="CudaGraphs"/>: ILGPU ignores the errors
/// of <c>cuInit</c> and <c>cuDeviceGetCount</c> while it lists devices (a failed initialization reads as "no
/// device"), and keeps the driver's JIT log only for a kernel that fails to load. <see cref="Probe"/> asks the driver
/// itself and names what it answers; <see cref="Jit"/> loads one PTX module with the JIT's logs and reads the
/// compiled kernel's registers and memory. Every function returns a CUresult (0 = CUDA_SUCCESS).
/// </summary>
internal static unsafe partial class CudaDriver
{
    private const string Driver = "cuda";

    [LibraryImport(Driver)]
    private static partial int cuInit(uint flags);

    [LibraryImport(Driver)]
    private static partial int cuDriverGetVersion(out int version);

    [LibraryImport(Driver)]
    private static partial int cuDeviceGetCount(out int count);

    [LibraryImport(Driver)]
    private static partial int cuGetErrorName(int error, out nint name);

    [LibraryImport(Driver)]
    private static partial int cuGetErrorString(int error, out nint text);

    [LibraryImport(Driver)]
    private static partial int cuModuleLoadDataEx(out nint module, byte* image, uint count, int* options, nint* values);

    [LibraryImport(Driver, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int cuModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(Driver)]
    private static partial int cuFuncGetAttribute(out int value, int attribute, nint function);

    [LibraryImport(Driver)]
    private static partial int cuModuleUnload(nint module);

    /// <summary>CUresult names that ILGPU 1.5.3's <see cref="CudaError"/> lacks, from the driver API's
    /// <c>cuda.h</c>: the ones a first contact meets (a stub library, a driver too old for the toolkit, a JIT that is
    /// missing or refuses the PTX's version) and those of stream capture.</summary>
    private static readonly Dictionary<int, string> NamesIlgpuLacks = new()
    {
        [34] = "CUDA_ERROR_STUB_LIBRARY", [46] = "CUDA_ERROR_DEVICE_UNAVAILABLE",
        [102] = "CUDA_ERROR_DEVICE_NOT_LICENSED", [221] = "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
        [222] = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", [223] = "CUDA_ERROR_JIT_COMPILATION_DISABLED",
        [802] = "CUDA_ERROR_SYSTEM_NOT_READY", [803] = "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        [804] = "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", [900] = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
        [901] = "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", [902] = "CUDA_ERROR_STREAM_CAPTURE_MERGE",
        [903] = "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", [904] = "CUDA_ERROR_STREAM_CAPTURE_UNJOINED",
        [905] = "CUDA_ERROR_STREAM_CAPTURE_ISOLATION", [906] = "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT",
        [907] = "CUDA_ERROR_CAPTURED_EVENT", [908] = "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD",
    };

    /// <summary>The driver's name for a CUresult (<c>cuGetErrorName</c>), else ILGPU's or our table's, else
    /// "CUresult N": the name is there with or without a working driver.</summary>
    public static string ErrorName(int result)
    {
        NativeLibraries.Install();
        if (NativeLibraries.Present("cuda"))
        {
            try
            {
                if (cuGetErrorName(result, out nint text) == 0 && text != 0) return Marshal.PtrToStringAnsi(text)!;
            }
            catch (EntryPointNotFoundException)
            {
            }
        }
        return Enum.IsDefined((CudaError)result) ? ((CudaError)result).ToString()
            : NamesIlgpuLacks.GetValueOrDefault(result, $"CUresult {result}");
    }

    /// <summary>"NAME (code): the driver's description" (the description only where the driver gives one).</summary>
    public static string Describe(int result)
    {
        string description = "";
        NativeLibraries.Install();
        if (NativeLibraries.Present("cuda"))
        {
            try
            {
                if (cuGetErrorString(result, out nint text) == 0 && text != 0)
                    description = ": " + Marshal.PtrToStringAnsi(text);
            }
            catch (EntryPointNotFoundException)
            {
            }
        }
        return $"{ErrorName(result)} ({result}){description}";
    }

    /// <summary>What the driver itself answers to <c>cuInit(0)</c>, <c>cuDriverGetVersion</c> and
    /// <c>cuDeviceGetCount</c>, in one line: "libcuda.so.1: driver API 13.0; cuInit: CUDA_ERROR_NO_DEVICE (100): no
    /// CUDA-capable device is detected". Without the library, says which files were tried.</summary>
    public static string Probe()
    {
        NativeLibraries.Install();
        string library = NativeLibraries.Loaded("cuda");
        if (library == "")
            return $"{NativeLibraries.Candidates("cuda")[0]} not found: no NVIDIA driver on this machine";
        var parts = new List<string>();
        try
        {
            parts.Add(cuDriverGetVersion(out int version) == 0
                ? $"driver API {version / 1000}.{version % 1000 / 10}"
                : "cuDriverGetVersion failed");
            int init = cuInit(0);
            if (init != 0)
            {
                parts.Add($"cuInit: {Describe(init)}");
            }
            else
            {
                int count = cuDeviceGetCount(out int devices);
                parts.Add(count == 0 ? $"cuInit: CUDA_SUCCESS, cuDeviceGetCount: {devices} device(s)"
                    : $"cuDeviceGetCount: {Describe(count)}");
            }
        }
        catch (EntryPointNotFoundException e)
        {
            parts.Add($"not a CUDA driver library ({e.Message})");
        }
        return $"{library}: {string.Join("; ", parts)}";
    }

    /// <summary>What the driver's JIT made of one PTX module (in the context current on this thread):
    /// <see cref="Result"/> the CUresult of <c>cuModuleLoadDataEx</c> (or of <c>cuModuleGetFunction</c>); the entry's
    /// registers per thread, static shared bytes per group and local bytes per thread (spills and stack); and
    /// <see cref="Log"/>, the JIT's info log (verbose: as <c>ptxas -v</c> prints it), then its error log.</summary>
    internal sealed record JitResult(int Result, int Registers, int SharedBytes, int LocalBytes, string Log);

    /// <summary>JIT-compiles <paramref name="ptx"/> with a verbose info log and an error log, reads entry
    /// <paramref name="entry"/>'s registers, static shared memory and local (spill and stack) bytes, and unloads
    /// it.</summary>
    public static JitResult Jit(string ptx, string entry)
    {
        const int LogBytes = 64 * 1024;
        // CU_JIT_INFO_LOG_BUFFER 3, …_SIZE_BYTES 4, CU_JIT_ERROR_LOG_BUFFER 5, …_SIZE_BYTES 6, CU_JIT_LOG_VERBOSE 12.
        int* options = stackalloc int[] { 3, 4, 5, 6, 12 };
        byte[] info = new byte[LogBytes], error = new byte[LogBytes];
        byte[] image = Encoding.ASCII.GetBytes(ptx + "\0");
        fixed (byte* i = info, e = error, p = image)
        {
            nint* values = stackalloc nint[] { (nint)i, LogBytes, (nint)e, LogBytes, 1 };
            int result = cuModuleLoadDataEx(out nint module, p, 5, options, values);
            string log = (Text(info) + "\n" + Text(error)).Trim();
            if (result != 0) return new JitResult(result, 0, 0, 0, log);
            try
            {
                result = cuModuleGetFunction(out nint function, module, entry);
                if (result != 0) return new JitResult(result, 0, 0, 0, log);
                // CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES 1, LOCAL_SIZE_BYTES 3, NUM_REGS 4.
                _ = cuFuncGetAttribute(out int shared, 1, function);
                _ = cuFuncGetAttribute(out int local, 3, function);
                _ = cuFuncGetAttribute(out int registers, 4, function);
                return new JitResult(0, registers, shared, local, log);
            }
            finally
            {
                _ = cuModuleUnload(module);
            }
        }
    }

    private static string Text(byte[] buffer)
    {
        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.ASCII.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }
}
