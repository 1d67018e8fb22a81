namespace Digits.Gpu.OpenCl;

/// <summary>OpenCL's error codes by name, with what each means (OpenCL 1.2 and 3.0 specifications).</summary>
internal static class OpenClErrors
{
    private static readonly Dictionary<int, (string, string)> Table = new()
    {
        [-1] = ("CL_DEVICE_NOT_FOUND", "no OpenCL device of the requested type"),
        [-2] = ("CL_DEVICE_NOT_AVAILABLE", "the device is not available"),
        [-3] = ("CL_COMPILER_NOT_AVAILABLE", "the platform has no compiler"),
        [-4] = ("CL_MEM_OBJECT_ALLOCATION_FAILURE", "device memory could not be allocated"),
        [-5] = ("CL_OUT_OF_RESOURCES", "the device ran out of resources"),
        [-6] = ("CL_OUT_OF_HOST_MEMORY", "the OpenCL implementation ran out of host memory"),
        [-8] = ("CL_MEM_COPY_OVERLAP", "source and destination of a copy overlap"),
        [-11] = ("CL_BUILD_PROGRAM_FAILURE", "the program did not build"),
        [-13] = ("CL_MISALIGNED_SUB_BUFFER_OFFSET", "a sub-buffer offset is not aligned"),
        [-14] = ("CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", "an event in the wait list failed"),
        [-30] = ("CL_INVALID_VALUE", "an argument has an invalid value"),
        [-31] = ("CL_INVALID_DEVICE_TYPE", "invalid device type"),
        [-32] = ("CL_INVALID_PLATFORM", "invalid platform"),
        [-33] = ("CL_INVALID_DEVICE", "invalid device"),
        [-34] = ("CL_INVALID_CONTEXT", "invalid context"),
        [-35] = ("CL_INVALID_QUEUE_PROPERTIES", "unsupported command-queue properties"),
        [-36] = ("CL_INVALID_COMMAND_QUEUE", "invalid command queue"),
        [-37] = ("CL_INVALID_HOST_PTR", "invalid host pointer"),
        [-38] = ("CL_INVALID_MEM_OBJECT", "not a valid memory object"),
        [-42] = ("CL_INVALID_BINARY", "invalid program binary"),
        [-43] = ("CL_INVALID_BUILD_OPTIONS", "invalid build options"),
        [-44] = ("CL_INVALID_PROGRAM", "invalid program"),
        [-45] = ("CL_INVALID_PROGRAM_EXECUTABLE", "the program has no successfully built executable"),
        [-46] = ("CL_INVALID_KERNEL_NAME", "no kernel of that name in the program"),
        [-47] = ("CL_INVALID_KERNEL_DEFINITION", "invalid kernel definition"),
        [-48] = ("CL_INVALID_KERNEL", "invalid kernel"),
        [-49] = ("CL_INVALID_ARG_INDEX", "kernel argument index out of range"),
        [-50] = ("CL_INVALID_ARG_VALUE", "invalid kernel argument value"),
        [-51] = ("CL_INVALID_ARG_SIZE", "kernel argument size does not match the parameter"),
        [-52] = ("CL_INVALID_KERNEL_ARGS", "kernel arguments are not all set"),
        [-53] = ("CL_INVALID_WORK_DIMENSION", "invalid number of work dimensions"),
        [-54] = ("CL_INVALID_WORK_GROUP_SIZE", "invalid work-group size"),
        [-55] = ("CL_INVALID_WORK_ITEM_SIZE", "invalid work-item size"),
        [-56] = ("CL_INVALID_GLOBAL_OFFSET", "invalid global offset"),
        [-57] = ("CL_INVALID_EVENT_WAIT_LIST", "invalid event wait list"),
        [-58] = ("CL_INVALID_EVENT", "invalid event"),
        [-59] = ("CL_INVALID_OPERATION", "invalid operation"),
        [-61] = ("CL_INVALID_BUFFER_SIZE", "buffer size is 0 or larger than the device's largest allocation"),
        [-63] = ("CL_INVALID_GLOBAL_WORK_SIZE", "invalid global work size"),
        [-64] = ("CL_INVALID_PROPERTY", "invalid property"),
        [-66] = ("CL_INVALID_COMPILER_OPTIONS", "invalid compiler options"),
        [-1001] = ("CL_PLATFORM_NOT_FOUND_KHR", "the ICD loader found no OpenCL platform"),
    };

    /// <summary>The error's name and meaning; unknown codes read "CL_ERROR_&lt;code&gt;".</summary>
    public static (string Name, string Description) Describe(int code) =>
        Table.TryGetValue(code, out var entry) ? entry : ($"CL_ERROR_{code}", "unknown OpenCL error");
}
