/* common.h: helpers shared by the kernel files, after the prelude. Written in the dialect both preludes
 * define. WG (the work-group size of the 1-D and reduction kernels, a power of two) and GEMM_T are set by
 * the host as -D options; the defaults below are what CUDA always uses. */
#ifndef WG
#define WG 256
#endif

/* Activation codes: the values of Digits.Core.Backends.Activation (part of the kernel ABI). */
#define ACT_IDENTITY 0
#define ACT_RELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3

/* y = act(z): ReferenceBackend.Activate. */
DEVICE_FN float activate(int act, float z)
{
    if (act == ACT_RELU) return z > 0.0f ? z : 0.0f;
    if (act == ACT_SIGMOID) return 1.0f / (1.0f + EXPF(-z));
    if (act == ACT_TANH) return TANHF(z);
    return z;
}

/* act' written in terms of the output y: ReferenceBackend.Derivative. */
DEVICE_FN float activation_derivative(int act, float y)
{
    if (act == ACT_RELU) return y > 0.0f ? 1.0f : 0.0f;
    if (act == ACT_SIGMOID) return y * (1.0f - y);
    if (act == ACT_TANH) return 1.0f - y * y;
    return 1.0f;
}

/* Tree sum of partial[0..WG) in work-group shared memory; every thread of the group must call it.
 * Returns the total in partial[0] (visible to every thread after the call). */
DEVICE_FN void group_sum_float(LOCAL_PTR float* partial)
{
    int t = LOCAL_ID(0);
    SYNC_THREADS();
    for (int stride = WG / 2; stride > 0; stride >>= 1) {
        if (t < stride) partial[t] += partial[t + stride];
        SYNC_THREADS();
    }
}

DEVICE_FN void group_sum_int(LOCAL_PTR int* partial)
{
    int t = LOCAL_ID(0);
    SYNC_THREADS();
    for (int stride = WG / 2; stride > 0; stride >>= 1) {
        if (t < stride) partial[t] += partial[t + stride];
        SYNC_THREADS();
    }
}
