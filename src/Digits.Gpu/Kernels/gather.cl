/* gather.cl: a mini-batch gathered from a dataset that lives on the device, so a training step uploads
 * nothing. For r in [0,B): x[r,:] = images[indices[start+r],:], y[r] = labels[indices[start+r]].
 * images (N,F), labels (N), indices (≥ start+B), x (B,F), y (B).
 * Launch: 1-D over B·F + B threads: thread t < B·F copies pixel t (consecutive threads, consecutive
 * pixels of one row: coalesced), thread B·F + r writes label r. Work-groups of WG, grid rounded up.
 * An index outside [0, rows) cannot throw on a device: its row of x is zero-filled and its label is −1
 * (the reference throws). rows = min(images rows, labels) is computed by the host.
 * gather_batch_at: the same with start = counter[0]·B read on the device; a position start+r outside
 * [0, index_count) counts as an index out of range (zero row, label −1).
 * CPU twin: ReferenceBackend.GatherBatchCore / GatherBatchAtCore; host: GpuBackend's. */
DEVICE_FN void gather_one(const GLOBAL float* images, int images_off, const GLOBAL int* labels, int labels_off,
                          const GLOBAL int* indices, int indices_off, int start, int index_count, int batch,
                          int features, int rows, GLOBAL float* x, int x_off, GLOBAL int* y, int y_off, int t)
{
    const int pixels = batch * features;
    if (t < pixels) {
        const int r = t / features, f = t - r * features;
        const int i = start + r;
        const int n = (i >= 0 && i < index_count) ? indices[indices_off + i] : -1;
        x[x_off + t] = (n >= 0 && n < rows) ? images[images_off + n * features + f] : 0.0f;
    } else if (t < pixels + batch) {
        const int r = t - pixels;
        const int i = start + r;
        const int n = (i >= 0 && i < index_count) ? indices[indices_off + i] : -1;
        y[y_off + r] = (n >= 0 && n < rows) ? labels[labels_off + n] : -1;
    }
}

KERNEL void gather_batch_at(const GLOBAL float* images, int images_off, const GLOBAL int* labels, int labels_off,
                            const GLOBAL int* indices, int indices_off, int index_count, const GLOBAL int* counter,
                            int counter_off, int batch, int features, int rows, GLOBAL float* x, int x_off,
                            GLOBAL int* y, int y_off)
{
    const int start = counter[counter_off] * batch;
    gather_one(images, images_off, labels, labels_off, indices, indices_off, start, index_count, batch, features,
               rows, x, x_off, y, y_off, GLOBAL_ID(0));
}

KERNEL void gather_batch(const GLOBAL float* images, int images_off, const GLOBAL int* labels, int labels_off,
                         const GLOBAL int* indices, int indices_off, int start, int batch, int features, int rows,
                         GLOBAL float* x, int x_off, GLOBAL int* y, int y_off)
{
    /* The host checked start + batch against the indices. */
    gather_one(images, images_off, labels, labels_off, indices, indices_off, start, start + batch, batch, features,
               rows, x, x_off, y, y_off, GLOBAL_ID(0));
}
