using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Digits.Gpu.OpenCl;

/// <summary>
/// The OpenCL 1.2 entry points the backend uses, from the ICD loader (<c>libOpenCL.so.1</c>; see
/// <see cref="NativeLibraries"/>), with their C names. Handles are passed as raw <c>nint</c>; ownership
/// lives in the <see cref="ClHandle"/> SafeHandles.
/// </summary>
internal static unsafe partial class OpenClNative
{
    public const int Success = 0;
    public const int DeviceNotFound = -1;
    public const int BuildProgramFailure = -11;
    public const int PlatformNotFoundKhr = -1001;

    public const ulong DeviceTypeCpu = 1 << 1, DeviceTypeGpu = 1 << 2, DeviceTypeAccelerator = 1 << 3,
        DeviceTypeCustom = 1 << 4, DeviceTypeAll = 0xFFFFFFFF;

    public const uint PlatformVersion = 0x0901, PlatformName = 0x0902, PlatformVendor = 0x0903;

    public const uint DeviceType = 0x1000, DeviceMaxComputeUnits = 0x1002, DeviceMaxWorkItemDimensions = 0x1003,
        DeviceMaxWorkGroupSize = 0x1004, DeviceMaxWorkItemSizes = 0x1005, DeviceMaxClockFrequency = 0x100C,
        DeviceMaxMemAllocSize = 0x1010, DeviceGlobalMemSize = 0x101F, DeviceLocalMemSize = 0x1023,
        DeviceAvailable = 0x1027, DeviceCompilerAvailable = 0x1028, DeviceName = 0x102B, DeviceVendor = 0x102C,
        DriverVersion = 0x102D, DeviceVersion = 0x102F, DeviceNativeVectorWidthFloat = 0x103A,
        DeviceOpenClCVersion = 0x103D;

    public const uint ProgramBuildLog = 0x1183;
    public const uint KernelWorkGroupSize = 0x11B0;
    public const ulong MemReadWrite = 1 << 0;

    static OpenClNative() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clGetPlatformIDs(uint numEntries, nint* platforms, out uint numPlatforms);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clGetPlatformInfo(nint platform, uint name, nuint size, void* value, out nuint sizeRet);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clGetDeviceIDs(nint platform, ulong type, uint numEntries, nint* devices,
        out uint numDevices);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clGetDeviceInfo(nint device, uint name, nuint size, void* value, out nuint sizeRet);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint notify,
        nint userData, out int error);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clReleaseContext(nint context);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, out int error);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clReleaseCommandQueue(nint queue);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths,
        out int error);

    [LibraryImport(NativeLibraries.OpenCl, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int clBuildProgram(nint program, uint numDevices, nint* devices, string options,
        nint notify, nint userData);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clGetProgramBuildInfo(nint program, nint device, uint name, nuint size, void* value,
        out nuint sizeRet);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clReleaseProgram(nint program);

    [LibraryImport(NativeLibraries.OpenCl, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint clCreateKernel(nint program, string name, out int error);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clGetKernelWorkGroupInfo(nint kernel, nint device, uint name, nuint size, void* value,
        out nuint sizeRet);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clReleaseKernel(nint kernel);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clSetKernelArg(nint kernel, uint index, nuint size, void* value);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* globalOffset,
        nuint* globalSize, nuint* localSize, uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPtr, out int error);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clReleaseMemObject(nint memory);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size,
        void* source, uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size,
        void* destination, uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clEnqueueFillBuffer(nint queue, nint buffer, void* pattern, nuint patternSize,
        nuint offset, nuint size, uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(NativeLibraries.OpenCl)]
    public static partial int clFinish(nint queue);

    /// <summary>Throws <see cref="GpuException"/> named after <paramref name="result"/> unless it is CL_SUCCESS.</summary>
    public static void ThrowIfFailed(int result, [CallerArgumentExpression(nameof(result))] string call = "",
        string? detail = null)
    {
        if (result != Success) throw Error(result, call, detail);
    }

    /// <summary>The exception for a failed call.</summary>
    public static GpuException Error(int result, string call, string? detail = null)
    {
        var (name, description) = OpenClErrors.Describe(result);
        return new GpuException(name, description, call, result, detail);
    }
}
