/* metrics.cl: predictions and accuracy from scores (B,C).
 *
 *   argmax         predictions[b] = the index of row b's largest score, the first on ties.
 *   count_correct  correct[0] += number of rows whose argmax equals labels[b] (an int atomic add per group).
 *
 * Launch: 1-D, one thread per row, work-groups of exactly WG threads (count_correct sums its group's rows
 * in shared memory first), grid rounded up.
 * CPU twins: ReferenceBackend.ArgmaxCore / CountCorrectCore; host: GpuBackend's. */
DEVICE_FN int argmax_row(const GLOBAL float* row, int classes)
{
    int best = 0;
    for (int j = 1; j < classes; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

KERNEL void argmax(const GLOBAL float* scores, int scores_off, int batch, int classes,
                   GLOBAL int* predictions, int predictions_off)
{
    const int b = GLOBAL_ID(0);
    if (b >= batch) return;
    predictions[predictions_off + b] = argmax_row(scores + scores_off + b * classes, classes);
}

KERNEL void count_correct(const GLOBAL float* scores, int scores_off, const GLOBAL int* labels, int labels_off,
                          int batch, int classes, GLOBAL int* correct, int correct_off)
{
    LOCAL int partial[WG];
    const int b = GLOBAL_ID(0);
    partial[LOCAL_ID(0)] =
        (b < batch && argmax_row(scores + scores_off + b * classes, classes) == labels[labels_off + b]) ? 1 : 0;
    group_sum_int(partial);
    if (LOCAL_ID(0) == 0 && partial[0] != 0) atomic_add_int(correct + correct_off, partial[0]);
}
