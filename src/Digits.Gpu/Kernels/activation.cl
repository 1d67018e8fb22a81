/* activation.cl: activation backward from the activation's output, dz[k] = dy[k]·act'(y[k]).
 * y, dy, dz (count); dz may be dy itself (each element is read before it is written, by one thread).
 * Launch: 1-D, one thread per element, work-groups of WG, grid rounded up (threads past count return).
 * CPU twin: ReferenceBackend.ActivationBackwardCore; host: GpuBackend.ActivationBackwardCore. */
KERNEL void activation_backward(const GLOBAL float* y, int y_off, const GLOBAL float* dy, int dy_off, int act,
                                int count, GLOBAL float* dz, int dz_off)
{
    int k = GLOBAL_ID(0);
    if (k >= count) return;
    dz[dz_off + k] = dy[dy_off + k] * activation_derivative(act, y[y_off + k]);
}
