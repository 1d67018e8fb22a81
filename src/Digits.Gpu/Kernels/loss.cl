/* loss.cl: the two costs, forward and backward fused, each adding its batch's loss to a device scalar.
 *
 *   softmax_cross_entropy  logits (B,C), labels (B) → dLogits (B,C) overwritten, lossSum (1) accumulated:
 *       loss_b = log Σ_j exp(z_bj − m) + m − z_b,y_b with m = max_j z_bj (stable for any logits);
 *       dLogits[b,j] = scale·(softmax(z_b)_j − [j = y_b]).
 *   quadratic_cost         outputs a (B,C) = sigmoid activations, labels (B) → dPre (B,C), lossSum (1):
 *       loss_b = ½ Σ_j (a_bj − t_bj)², t one-hot; dPre[b,j] = scale·(a_bj − t_bj)·a_bj(1 − a_bj).
 *
 * Launch: 1-D, one thread per row (C is small: 10 for digits), work-groups of exactly WG threads, grid
 * rounded up. Each group sums its rows' losses in shared memory and adds the total to lossSum with one
 * atomic add, so a training step reads nothing back to the host. A label outside [0,C) reads no memory:
 * its row has no target (no −1 in the gradient, no −z term in the loss).
 * CPU twins: ReferenceBackend.SoftmaxCrossEntropyCore / QuadraticCostCore; host: GpuBackend's. */
KERNEL void softmax_cross_entropy(const GLOBAL float* logits, int logits_off, const GLOBAL int* labels,
                                  int labels_off, int batch, int classes, float scale,
                                  GLOBAL float* d_logits, int d_off, GLOBAL float* loss_sum, int loss_off)
{
    LOCAL float partial[WG];
    const int b = GLOBAL_ID(0);
    float loss = 0.0f;
    if (b < batch) {
        const GLOBAL float* z = logits + logits_off + b * classes;
        GLOBAL float* d = d_logits + d_off + b * classes;
        const int label = labels[labels_off + b];
        float m = z[0];
        for (int j = 1; j < classes; j++) m = FMAXF(m, z[j]);
        float sum = 0.0f;
        for (int j = 0; j < classes; j++) sum += EXPF(z[j] - m);
        const float lse = LOGF(sum) + m;
        loss = lse - ((label >= 0 && label < classes) ? z[label] : 0.0f);
        for (int j = 0; j < classes; j++)
            d[j] = scale * (EXPF(z[j] - lse) - (j == label ? 1.0f : 0.0f));
    }
    partial[LOCAL_ID(0)] = loss;
    group_sum_float(partial);
    if (LOCAL_ID(0) == 0) atomic_add_float(loss_sum + loss_off, partial[0]);
}

KERNEL void quadratic_cost(const GLOBAL float* outputs, int outputs_off, const GLOBAL int* labels, int labels_off,
                           int batch, int classes, float scale, GLOBAL float* d_pre, int d_off,
                           GLOBAL float* loss_sum, int loss_off)
{
    LOCAL float partial[WG];
    const int b = GLOBAL_ID(0);
    float loss = 0.0f;
    if (b < batch) {
        const GLOBAL float* a = outputs + outputs_off + b * classes;
        GLOBAL float* d = d_pre + d_off + b * classes;
        const int label = labels[labels_off + b];
        for (int j = 0; j < classes; j++) {
            float ak = a[j];
            float diff = ak - (j == label ? 1.0f : 0.0f);
            loss += 0.5f * diff * diff;
            d[j] = scale * diff * ak * (1.0f - ak);
        }
    }
    partial[LOCAL_ID(0)] = loss;
    group_sum_float(partial);
    if (LOCAL_ID(0) == 0) atomic_add_float(loss_sum + loss_off, partial[0]);
}
