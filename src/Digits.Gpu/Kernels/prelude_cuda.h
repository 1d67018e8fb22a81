/* prelude_cuda.h: maps the kernel dialect onto CUDA C++ as NVRTC compiles it. Put in front of common.h
 * and the kernel files by CudaBackend. Its twin is prelude_opencl.h; both define exactly the same names.
 * Kernels are extern "C" so their names are not mangled and cuModuleGetFunction finds them as written. */
#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL __shared__         /* a block shared array declared at kernel scope */
#define LOCAL_PTR                /* shared memory is reached through generic pointers in CUDA */
#define RESTRICT __restrict__
#define DEVICE_FN static __device__ __forceinline__
#define SYNC_THREADS() __syncthreads()
#define DIM_OF(v, d) ((d) == 0 ? (v).x : (d) == 1 ? (v).y : (v).z)
#define GLOBAL_ID(d) ((int)(DIM_OF(blockIdx, d) * DIM_OF(blockDim, d) + DIM_OF(threadIdx, d)))
#define LOCAL_ID(d) ((int)DIM_OF(threadIdx, d))
#define GROUP_ID(d) ((int)DIM_OF(blockIdx, d))
#define LOCAL_SIZE(d) ((int)DIM_OF(blockDim, d))

/* Math: the precise single-precision functions (no --use_fast_math), for the same reason as OpenCL. */
#define EXPF(x) expf(x)
#define LOGF(x) logf(x)
#define TANHF(x) tanhf(x)
#define SQRTF(x) sqrtf(x)
#define FMAXF(a, b) fmaxf(a, b)

DEVICE_FN void atomic_add_float(float* p, float v) { atomicAdd(p, v); }
DEVICE_FN void atomic_add_int(int* p, int v) { atomicAdd(p, v); }

/* p[0..3] as one 16-byte load (LDG.E.128); p must be 16-byte aligned (the host only takes this path when it
 * is; a misaligned one is CUDA_ERROR_MISALIGNED_ADDRESS). CUDA's float4 is a plain struct (no arithmetic
 * operators), so kernels only read its .x .y .z .w, as they may in OpenCL. */
DEVICE_FN float4 load_float4(const float* p) { return *reinterpret_cast<const float4*>(p); }
