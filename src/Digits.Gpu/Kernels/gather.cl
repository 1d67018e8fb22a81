/* gather.cl: a mini-batch gathered from a dataset that lives on the device, so a training step uploads
 * nothing. For r in [0,B): x[r,:] = images[indices[start+r],:], y[r] = labels[indices[start+r]].
 * images (N,F), labels (N), indices (≥ start+B), x (B,F), y (B).
 * Launch: 1-D over B·F + B threads: thread t < B·F copies pixel t (consecutive threads, consecutive
 * pixels of one row: coalesced), thread B·F + r writes label r. Work-groups of WG, grid rounded up.
 * An index outside [0, rows) cannot throw on a device: its row of x is zero-filled and its label is −1
 * (the reference throws). rows = min(images rows, labels) is computed by the host.
 * CPU twin: ReferenceBackend.GatherBatchCore; host: GpuBackend.GatherBatchCore. */
KERNEL void gather_batch(const GLOBAL float* images, int images_off, const GLOBAL int* labels, int labels_off,
                         const GLOBAL int* indices, int indices_off, int start, int batch, int features, int rows,
                         GLOBAL float* x, int x_off, GLOBAL int* y, int y_off)
{
    const int t = GLOBAL_ID(0);
    const int pixels = batch * features;
    if (t < pixels) {
        const int r = t / features, f = t - r * features;
        const int n = indices[indices_off + start + r];
        x[x_off + t] = (n >= 0 && n < rows) ? images[images_off + n * features + f] : 0.0f;
    } else if (t < pixels + batch) {
        const int r = t - pixels;
        const int n = indices[indices_off + start + r];
        y[y_off + r] = (n >= 0 && n < rows) ? labels[labels_off + n] : -1;
    }
}
