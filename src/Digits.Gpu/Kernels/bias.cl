/* bias.cl: bias gradient, a column reduction db[o] = Σ_b dz[b,o]. dz (B,O), db (O) overwritten.
 * Launch: 2-D work-groups of BIAS_TX × BIAS_TY (= WG) threads; group gx owns columns gx·BIAS_TX ..
 * +BIAS_TX (threads along x read consecutive columns: coalesced); the BIAS_TY rows of threads stride over
 * the batch and are summed in shared memory. Grid: ceil(O/BIAS_TX) × 1 groups.
 * CPU twin: ReferenceBackend.BiasBackwardCore; host: GpuBackend.BiasBackwardCore. */
#define BIAS_TX 32
#define BIAS_TY (WG / BIAS_TX)

KERNEL void bias_backward(const GLOBAL float* dz, int dz_off, int batch, int outputs, GLOBAL float* db, int db_off)
{
    LOCAL float partial[WG];
    const int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    const int o = GROUP_ID(0) * BIAS_TX + tx;
    float sum = 0.0f;
    if (o < outputs)
        for (int b = ty; b < batch; b += BIAS_TY) sum += dz[dz_off + b * outputs + o];
    partial[ty * BIAS_TX + tx] = sum;
    SYNC_THREADS();
    for (int stride = BIAS_TY / 2; stride > 0; stride >>= 1) {
        if (ty < stride) partial[ty * BIAS_TX + tx] += partial[(ty + stride) * BIAS_TX + tx];
        SYNC_THREADS();
    }
    if (ty == 0 && o < outputs) db[db_off + o] = partial[tx];
}
