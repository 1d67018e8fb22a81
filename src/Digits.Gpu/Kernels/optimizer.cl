/* optimizer.cl: one optimizer step over a flat parameter buffer (every layer's weights, then every bias),
 * with L2 weight decay on the first decay_count elements (the weights): g = grad + λ·p there, g = grad after.
 *
 *   sgd_step       p −= lr·g
 *   momentum_step  v = μ·v + g; p −= lr·v                                   (PyTorch's heavy-ball form)
 *   adam_step      m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p −= lr·(m·c₁)/(√(v·c₂) + ε)
 *                  with the bias corrections c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ) computed by the host.
 * gradients, velocity / m / v, parameters (count).
 * Launch: 1-D, one thread per element, work-groups of WG, grid rounded up.
 * CPU twins: ReferenceBackend.SgdStepCore / MomentumStepCore / AdamStepCore; host: GpuBackend's. */
KERNEL void sgd_step(const GLOBAL float* grad, int grad_off, int count, int decay_count, float lr, float decay,
                     GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    if (k >= count) return;
    float pk = p[p_off + k];
    float g = grad[grad_off + k] + (k < decay_count ? decay * pk : 0.0f);
    p[p_off + k] = pk - lr * g;
}

KERNEL void momentum_step(const GLOBAL float* grad, int grad_off, int count, int decay_count, float lr,
                          float momentum, float decay, GLOBAL float* v, int v_off, GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    if (k >= count) return;
    float pk = p[p_off + k];
    float g = grad[grad_off + k] + (k < decay_count ? decay * pk : 0.0f);
    float vk = momentum * v[v_off + k] + g;
    v[v_off + k] = vk;
    p[p_off + k] = pk - lr * vk;
}

KERNEL void adam_step(const GLOBAL float* grad, int grad_off, int count, int decay_count, float lr, float beta1,
                      float beta2, float epsilon, float decay, float correction1, float correction2,
                      GLOBAL float* m, int m_off, GLOBAL float* v, int v_off, GLOBAL float* p, int p_off)
{
    const int k = GLOBAL_ID(0);
    if (k >= count) return;
    float pk = p[p_off + k];
    float g = grad[grad_off + k] + (k < decay_count ? decay * pk : 0.0f);
    float mk = beta1 * m[m_off + k] + (1.0f - beta1) * g;
    float vk = beta2 * v[v_off + k] + (1.0f - beta2) * g * g;
    m[m_off + k] = mk;
    v[v_off + k] = vk;
    p[p_off + k] = pk - lr * (mk * correction1) / (SQRTF(vk * correction2) + epsilon);
}
