/* prelude_opencl.h: maps the kernel dialect onto OpenCL C 1.2 (built with -cl-std=CL1.2, so no generic
 * address space: every pointer names its memory, GLOBAL or LOCAL_PTR). Put in front of common.h and the
 * kernel files by OpenClBackend. Its twin is prelude_cuda.h; both define exactly the same names. */
#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL __local            /* a work-group shared array declared at kernel scope */
#define LOCAL_PTR __local        /* a pointer parameter to such an array */
#define RESTRICT restrict
#define DEVICE_FN static inline
#define SYNC_THREADS() barrier(CLK_LOCAL_MEM_FENCE)
#define GLOBAL_ID(d) ((int)get_global_id(d))
#define LOCAL_ID(d) ((int)get_local_id(d))
#define GROUP_ID(d) ((int)get_group_id(d))
#define LOCAL_SIZE(d) ((int)get_local_size(d))

/* Math. The precise functions, not native_*: the tests hold every kernel to 2e-5 relative of the
 * double-precision reference, and these ops are not where the time goes (the GEMMs are). */
#define EXPF(x) exp(x)
#define LOGF(x) log(x)
#define TANHF(x) tanh(x)
#define SQRTF(x) sqrt(x)
#define FMAXF(a, b) fmax(a, b)

/* OpenCL 1.2 has no atomic float add: a compare-exchange loop on the value's bits. */
DEVICE_FN void atomic_add_float(GLOBAL float* p, float v)
{
    volatile GLOBAL unsigned int* bits = (volatile GLOBAL unsigned int*)p;
    unsigned int seen = *bits, expected;
    do {
        expected = seen;
        seen = atomic_cmpxchg(bits, expected, as_uint(as_float(expected) + v));
    } while (seen != expected);
}

DEVICE_FN void atomic_add_int(GLOBAL int* p, int v) { atomic_add((volatile GLOBAL int*)p, v); }

/* p[0..3] as one 16-byte load; p must be 16-byte aligned (the host only takes this path when it is). A cast
 * rather than vload4, which only needs 4-byte alignment and so does not let the compiler emit one 16-byte
 * load on devices where that needs alignment. Components are read as .x .y .z .w in both dialects. */
DEVICE_FN float4 load_float4(const GLOBAL float* p) { return *(const GLOBAL float4*)p; }
