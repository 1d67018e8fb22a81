/* optimizer.cl: one optimizer step over a flat parameter buffer (every layer's weights, then every bias),
 * with L2 weight decay on the first decay_count elements (the weights): g = grad + λ·p there, g = grad after.
 *
 *   sgd_step       p −= lr·g
 *   momentum_step  v = μ·v + g; p −= lr·v                                   (PyTorch's heavy-ball form)
 *   adam_step      m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p −= lr·(m·c₁)/(√(v·c₂) + ε)
 *                  with the bias corrections c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ) computed by the host.
 *   *_at           the same, with lr (and c₁, c₂) read from schedule row t = counter[1] on the device
 *                  (schedule (steps, 3): lr, c₁, c₂); t outside [0, steps) changes nothing.
 *   advance_step   counter[2] = counter[1] if it is still −1 and loss_sum[0] is not finite; then
 *                  counter[0] += 1, counter[1] += 1 (one thread).
 * gradients, velocity / m / v, parameters (count).
 * Launch: 1-D, one thread per element, work-groups of WG, grid rounded up.
 * CPU twins: ReferenceBackend.SgdStepCore / MomentumStepCore / AdamStepCore (and …AtCore); host: GpuBackend's. */
DEVICE_FN void sgd_update(const GLOBAL float* grad, int grad_off, int k, int decay_count, float lr, float decay,
                          GLOBAL float* p, int p_off)
{
    float pk = p[p_off + k];
    float g = grad[grad_off + k] + (k < decay_count ? decay * pk : 0.0f);
    p[p_off + k] = pk - lr * g;
}

DEVICE_FN void momentum_update(const GLOBAL float* grad, int grad_off, int k, int decay_count, float lr,
                               float momentum, float decay, GLOBAL float* v, int v_off, GLOBAL float* p, int p_off)
{
    float pk = p[p_off + k];
    float g = grad[grad_off + k] + (k < decay_count ? decay * pk : 0.0f);
    float vk = momentum * v[v_off + k] + g;
    v[v_off + k] = vk;
    p[p_off + k] = pk - lr * vk;
}

DEVICE_FN void adam_update(const GLOBAL float* grad, int grad_off, int k, int decay_count, float lr, float beta1,
                           float beta2, float epsilon, float decay, float correction1, float correction2,
                           GLOBAL float* m, int m_off, GLOBAL float* v, int v_off, GLOBAL float* p, int p_off)
{
    float pk = p[p_off + k];
    float g = grad[grad_off + k] + (k < decay_count ? decay * pk : 0.0f);
    float mk = beta1 * m[m_off + k] + (1.0f - beta1) * g;
    float vk = beta2 * v[v_off + k] + (1.0f - beta2) * g * g;
    m[m_off + k] = mk;
    v[v_off + k] = vk;
    p[p_off + k] = pk - lr * (mk * correction1) / (SQRTF(vk * correction2) + epsilon);
}

KERNEL void sgd_step(const GLOBAL float* grad, int grad_off, int count, int decay_count, float lr, float decay,
                     GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    if (k >= count) return;
    sgd_update(grad, grad_off, k, decay_count, lr, decay, p, p_off);
}

KERNEL void momentum_step(const GLOBAL float* grad, int grad_off, int count, int decay_count, float lr,
                          float momentum, float decay, GLOBAL float* v, int v_off, GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    if (k >= count) return;
    momentum_update(grad, grad_off, k, decay_count, lr, momentum, decay, v, v_off, p, p_off);
}

KERNEL void adam_step(const GLOBAL float* grad, int grad_off, int count, int decay_count, float lr, float beta1,
                      float beta2, float epsilon, float decay, float correction1, float correction2,
                      GLOBAL float* m, int m_off, GLOBAL float* v, int v_off, GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    if (k >= count) return;
    adam_update(grad, grad_off, k, decay_count, lr, beta1, beta2, epsilon, decay, correction1, correction2,
                m, m_off, v, v_off, p, p_off);
}

/* The schedule row of the step counter[1], or −1 when it is outside the schedule. */
DEVICE_FN int schedule_row(const GLOBAL int* counter, int counter_off, int steps)
{
    const int t = counter[counter_off + 1];
    return t >= 0 && t < steps ? t : -1;
}

KERNEL void sgd_step_at(const GLOBAL float* grad, int grad_off, int count, int decay_count,
                        const GLOBAL float* schedule, int schedule_off, int steps, const GLOBAL int* counter,
                        int counter_off, float decay, GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    const int t = schedule_row(counter, counter_off, steps);
    if (k >= count || t < 0) return;
    sgd_update(grad, grad_off, k, decay_count, schedule[schedule_off + 3 * t], decay, p, p_off);
}

KERNEL void momentum_step_at(const GLOBAL float* grad, int grad_off, int count, int decay_count,
                             const GLOBAL float* schedule, int schedule_off, int steps, const GLOBAL int* counter,
                             int counter_off, float momentum, float decay, GLOBAL float* v, int v_off,
                             GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    const int t = schedule_row(counter, counter_off, steps);
    if (k >= count || t < 0) return;
    momentum_update(grad, grad_off, k, decay_count, schedule[schedule_off + 3 * t], momentum, decay, v, v_off,
                    p, p_off);
}

KERNEL void adam_step_at(const GLOBAL float* grad, int grad_off, int count, int decay_count,
                         const GLOBAL float* schedule, int schedule_off, int steps, const GLOBAL int* counter,
                         int counter_off, float beta1, float beta2, float epsilon, float decay,
                         GLOBAL float* m, int m_off, GLOBAL float* v, int v_off, GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    const int t = schedule_row(counter, counter_off, steps);
    if (k >= count || t < 0) return;
    const int row = schedule_off + 3 * t;
    adam_update(grad, grad_off, k, decay_count, schedule[row], beta1, beta2, epsilon, decay, schedule[row + 1],
                schedule[row + 2], m, m_off, v, v_off, p, p_off);
}

KERNEL void advance_step(GLOBAL int* counter, int counter_off, const GLOBAL float* loss_sum, int loss_off)
{
    if (GLOBAL_ID(0) != 0) return;
    if (counter[counter_off + 2] < 0 && !isfinite(loss_sum[loss_off]))
        counter[counter_off + 2] = counter[counter_off + 1];
    counter[counter_off] += 1;
    counter[counter_off + 1] += 1;
}
