/* linear.cl: the dense layer's three GEMMs, tiled through work-group shared memory with register tiling.
 *
 *   linear_forward          y(B,O)  = act(x(B,I)·W(O,I)ᵀ + bias(O))   GEMM "NT", bias + activation fused
 *   linear_backward_input   dx(B,I) = dz(B,O)·W(O,I)                  GEMM "NN"
 *   linear_backward_weight  dW(O,I) = dz(B,O)ᵀ·x(B,I)                 GEMM "TN", overwrites dW
 *
 * CPU twins: ReferenceBackend.LinearForwardCore / LinearBackwardInputCore / LinearBackwardWeightCore
 * (host side: GpuBackend.LinearForwardCore and friends, shared by CudaBackend and OpenClBackend).
 *
 * All three are C(M,N) = Σ_k A(m,k)·B(k,n) with A and B reached through strides, in gemm_tile below.
 * Launch geometry: 2-D work-groups of GEMM_T × GEMM_T threads (16×16 = 256 by default); group (gx, gy)
 * computes the GEMM_BM × GEMM_BN block of C at rows gy·GEMM_BM, columns gx·GEMM_BN, so the grid is
 * ceil(N/GEMM_BN) × ceil(M/GEMM_BM) groups. Each thread accumulates GEMM_R × GEMM_R outputs in registers:
 * rows ty + i·GEMM_T, columns tx + j·GEMM_T (strided so shared-memory reads are conflict-free and the
 * final stores are coalesced along n). K advances GEMM_BK at a time; tiles are loaded with the
 * contiguous dimension fastest across threads, and out-of-range elements load as 0, so any M, N, K
 * (including 0 and sizes that are not multiples of a tile) is correct. Each buffer comes as
 * (pointer, element offset). */
#ifndef GEMM_T
#define GEMM_T 16
#endif
#define GEMM_R 4
#define GEMM_BM (GEMM_T * GEMM_R)
#define GEMM_BN (GEMM_T * GEMM_R)
#define GEMM_BK 16
#define GEMM_LDS (GEMM_BM + 1) /* padded row of a shared tile: stores along k hit distinct banks */

/* A(m,k) = a[m·a_m + k·a_k]; a_kfast says k is A's contiguous dimension (a_k == 1), known at each call
 * site so the branch folds away. Likewise B(k,n) = b[k·b_k + n·b_n] with b_kfast. When fused is 1 the
 * epilogue adds bias[n] and applies act (bias is not read otherwise). c is row-major, leading dimension N. */
DEVICE_FN void gemm_tile(const GLOBAL float* a, int a_m, int a_k, int a_kfast,
                         const GLOBAL float* b, int b_k, int b_n, int b_kfast,
                         int M, int N, int K, int fused, const GLOBAL float* bias, int act, GLOBAL float* c,
                         LOCAL_PTR float* as, LOCAL_PTR float* bs)
{
    const int tx = LOCAL_ID(0), ty = LOCAL_ID(1), tid = ty * GEMM_T + tx;
    const int m0 = GROUP_ID(1) * GEMM_BM, n0 = GROUP_ID(0) * GEMM_BN;
    float acc[GEMM_R][GEMM_R];
    for (int i = 0; i < GEMM_R; i++)
        for (int j = 0; j < GEMM_R; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += GEMM_BK) {
        for (int e = tid; e < GEMM_BK * GEMM_BM; e += GEMM_T * GEMM_T) {
            int kk = a_kfast ? e % GEMM_BK : e / GEMM_BM;
            int mm = a_kfast ? e / GEMM_BK : e % GEMM_BM;
            int m = m0 + mm, k = k0 + kk;
            as[kk * GEMM_LDS + mm] = (m < M && k < K) ? a[m * a_m + k * a_k] : 0.0f;
        }
        for (int e = tid; e < GEMM_BK * GEMM_BN; e += GEMM_T * GEMM_T) {
            int kk = b_kfast ? e % GEMM_BK : e / GEMM_BN;
            int nn = b_kfast ? e / GEMM_BK : e % GEMM_BN;
            int n = n0 + nn, k = k0 + kk;
            bs[kk * GEMM_LDS + nn] = (n < N && k < K) ? b[k * b_k + n * b_n] : 0.0f;
        }
        SYNC_THREADS();
        for (int kk = 0; kk < GEMM_BK; kk++) {
            float ar[GEMM_R], br[GEMM_R];
            for (int i = 0; i < GEMM_R; i++) ar[i] = as[kk * GEMM_LDS + ty + i * GEMM_T];
            for (int j = 0; j < GEMM_R; j++) br[j] = bs[kk * GEMM_LDS + tx + j * GEMM_T];
            for (int i = 0; i < GEMM_R; i++)
                for (int j = 0; j < GEMM_R; j++) acc[i][j] += ar[i] * br[j];
        }
        SYNC_THREADS();
    }

    for (int i = 0; i < GEMM_R; i++) {
        int m = m0 + ty + i * GEMM_T;
        if (m >= M) continue;
        for (int j = 0; j < GEMM_R; j++) {
            int n = n0 + tx + j * GEMM_T;
            if (n >= N) continue;
            float v = acc[i][j];
            if (fused) v = activate(act, v + bias[n]);
            c[m * N + n] = v;
        }
    }
}

/* y[b,o] = act(bias[o] + Σᵢ x[b,i]·W[o,i]). M = B, N = O, K = I. */
KERNEL void linear_forward(const GLOBAL float* x, int x_off, const GLOBAL float* w, int w_off,
                           const GLOBAL float* bias, int bias_off, int act, int batch, int inputs, int outputs,
                           GLOBAL float* y, int y_off)
{
    LOCAL float as[GEMM_BK * GEMM_LDS];
    LOCAL float bs[GEMM_BK * GEMM_LDS];
    gemm_tile(x + x_off, inputs, 1, 1, w + w_off, 1, inputs, 1, batch, outputs, inputs,
              1, bias + bias_off, act, y + y_off, as, bs);
}

/* dx[b,i] = Σₒ dz[b,o]·W[o,i]. M = B, N = I, K = O. */
KERNEL void linear_backward_input(const GLOBAL float* dz, int dz_off, const GLOBAL float* w, int w_off,
                                  int batch, int inputs, int outputs, GLOBAL float* dx, int dx_off)
{
    LOCAL float as[GEMM_BK * GEMM_LDS];
    LOCAL float bs[GEMM_BK * GEMM_LDS];
    gemm_tile(dz + dz_off, outputs, 1, 1, w + w_off, inputs, 1, 0, batch, inputs, outputs,
              0, w + w_off, ACT_IDENTITY, dx + dx_off, as, bs);
}

/* dW[o,i] = Σ_b dz[b,o]·x[b,i]. M = O, N = I, K = B. */
KERNEL void linear_backward_weight(const GLOBAL float* x, int x_off, const GLOBAL float* dz, int dz_off,
                                   int batch, int inputs, int outputs, GLOBAL float* dw, int dw_off)
{
    LOCAL float as[GEMM_BK * GEMM_LDS];
    LOCAL float bs[GEMM_BK * GEMM_LDS];
    gemm_tile(dz + dz_off, 1, outputs, 0, x + x_off, inputs, 1, 0, outputs, inputs, batch,
              0, x + x_off, ACT_IDENTITY, dw + dw_off, as, bs);
}
