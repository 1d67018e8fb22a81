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
 * (pointer, element offset).
 *
 * Float4 tile loads: each kernel takes one flag per input matrix (x_vec4, w_vec4, dz_vec4). The host
 * (GpuBackend.Float4) sets it when the matrix's leading dimension and element offset are multiples of 4,
 * so every run of 4 contiguous elements that starts at a multiple of 4 is 16-byte aligned; the tile is
 * then read with load_float4 (one 16-byte load, from the prelude) 4 elements along its contiguous
 * dimension at a time, and a run that crosses the matrix's edge is read element by element. Otherwise the
 * scalar loads are used. Both fill the shared tile identically, so results are the same bit for bit. */
#ifndef GEMM_T
#define GEMM_T 16
#endif
#define GEMM_R 4
#define GEMM_BM (GEMM_T * GEMM_R)
#define GEMM_BN (GEMM_T * GEMM_R)
#define GEMM_BK 16
#define GEMM_LDS (GEMM_BM + 1) /* padded row of a shared tile: stores along k hit distinct banks */
#define GEMM_THREADS (GEMM_T * GEMM_T)

/* Stages the GEMM_BK × GEMM_BM tile S(kk, rr) = src(r0 + rr, k0 + kk) into tile[kk·GEMM_LDS + rr], where
 * src(r, k) = p[r·s_r + k·s_k] for r < R and k < K, else 0. kfast says k is src's contiguous dimension
 * (s_k == 1), else r is (s_r == 1); both are known at each call site. vec (see the file's header) needs p
 * 16-byte aligned and the other stride a multiple of 4. A (rows m) and B (columns n) are both staged by it:
 * GEMM_BM == GEMM_BN. */
DEVICE_FN void gemm_load_tile(const GLOBAL float* p, int s_r, int s_k, int kfast, int vec,
                              int r0, int R, int k0, int K, LOCAL_PTR float* tile)
{
    const int tid = LOCAL_ID(1) * GEMM_T + LOCAL_ID(0);
    if (vec) {
        /* GEMM_BK·GEMM_BM/4 runs of 4; with kfast, 4 threads read one row's 16 k (64 contiguous bytes). */
        for (int e = tid; e < GEMM_BK * GEMM_BM / 4; e += GEMM_THREADS) {
            int kk = kfast ? e % (GEMM_BK / 4) * 4 : e / (GEMM_BM / 4);
            int rr = kfast ? e / (GEMM_BK / 4) : e % (GEMM_BM / 4) * 4;
            int r = r0 + rr, k = k0 + kk;
            /* elements of the run inside the matrix: 4, fewer at its edge, 0 past it */
            int inside = kfast ? (r < R ? K - k : 0) : (k < K ? R - r : 0);
            float v0 = 0.0f, v1 = 0.0f, v2 = 0.0f, v3 = 0.0f;
            if (inside >= 4) {
                float4 v = load_float4(p + (r * s_r + k * s_k));
                v0 = v.x;
                v1 = v.y;
                v2 = v.z;
                v3 = v.w;
            } else if (inside > 0) {
                const GLOBAL float* q = p + (r * s_r + k * s_k);
                v0 = q[0];
                if (inside > 1) v1 = q[1];
                if (inside > 2) v2 = q[2];
            }
            if (kfast) {
                tile[kk * GEMM_LDS + rr] = v0;
                tile[(kk + 1) * GEMM_LDS + rr] = v1;
                tile[(kk + 2) * GEMM_LDS + rr] = v2;
                tile[(kk + 3) * GEMM_LDS + rr] = v3;
            } else {
                tile[kk * GEMM_LDS + rr] = v0;
                tile[kk * GEMM_LDS + rr + 1] = v1;
                tile[kk * GEMM_LDS + rr + 2] = v2;
                tile[kk * GEMM_LDS + rr + 3] = v3;
            }
        }
    } else {
        for (int e = tid; e < GEMM_BK * GEMM_BM; e += GEMM_THREADS) {
            int kk = kfast ? e % GEMM_BK : e / GEMM_BM;
            int rr = kfast ? e / GEMM_BK : e % GEMM_BM;
            int r = r0 + rr, k = k0 + kk;
            tile[kk * GEMM_LDS + rr] = (r < R && k < K) ? p[r * s_r + k * s_k] : 0.0f;
        }
    }
}

/* A(m,k) = a[m·a_m + k·a_k]; a_kfast says k is A's contiguous dimension (a_k == 1), known at each call
 * site so the branch folds away; a_vec says its tiles may be read as float4. Likewise B(k,n) =
 * b[k·b_k + n·b_n] with b_kfast and b_vec. When fused is 1 the epilogue adds bias[n] and applies act (bias
 * is not read otherwise). c is row-major, leading dimension N. */
DEVICE_FN void gemm_tile(const GLOBAL float* a, int a_m, int a_k, int a_kfast, int a_vec,
                         const GLOBAL float* b, int b_k, int b_n, int b_kfast, int b_vec,
                         int M, int N, int K, int fused, const GLOBAL float* bias, int act, GLOBAL float* c,
                         LOCAL_PTR float* as, LOCAL_PTR float* bs)
{
    const int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    const int m0 = GROUP_ID(1) * GEMM_BM, n0 = GROUP_ID(0) * GEMM_BN;
    float acc[GEMM_R][GEMM_R];
    for (int i = 0; i < GEMM_R; i++)
        for (int j = 0; j < GEMM_R; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += GEMM_BK) {
        gemm_load_tile(a, a_m, a_k, a_kfast, a_vec, m0, M, k0, K, as);
        gemm_load_tile(b, b_n, b_k, b_kfast, b_vec, n0, N, k0, K, bs);
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

/* y[b,o] = act(bias[o] + Σᵢ x[b,i]·W[o,i]). M = B, N = O, K = I; A = x (k contiguous), B = Wᵀ (k
 * contiguous); x_vec4 and w_vec4 need I and the offsets to be multiples of 4. */
KERNEL void linear_forward(const GLOBAL float* x, int x_off, const GLOBAL float* w, int w_off,
                           const GLOBAL float* bias, int bias_off, int act, int batch, int inputs, int outputs,
                           int x_vec4, int w_vec4, GLOBAL float* y, int y_off)
{
    LOCAL float as[GEMM_BK * GEMM_LDS];
    LOCAL float bs[GEMM_BK * GEMM_LDS];
    gemm_tile(x + x_off, inputs, 1, 1, x_vec4, w + w_off, 1, inputs, 1, w_vec4, batch, outputs, inputs,
              1, bias + bias_off, act, y + y_off, as, bs);
}

/* dx[b,i] = Σₒ dz[b,o]·W[o,i]. M = B, N = I, K = O; A = dz (k contiguous, dz_vec4 needs O and dz_off to be
 * multiples of 4), B = W (n contiguous, w_vec4 needs I and w_off to be). */
KERNEL void linear_backward_input(const GLOBAL float* dz, int dz_off, const GLOBAL float* w, int w_off,
                                  int batch, int inputs, int outputs, int dz_vec4, int w_vec4,
                                  GLOBAL float* dx, int dx_off)
{
    LOCAL float as[GEMM_BK * GEMM_LDS];
    LOCAL float bs[GEMM_BK * GEMM_LDS];
    gemm_tile(dz + dz_off, outputs, 1, 1, dz_vec4, w + w_off, inputs, 1, 0, w_vec4, batch, inputs, outputs,
              0, w + w_off, ACT_IDENTITY, dx + dx_off, as, bs);
}

/* dW[o,i] = Σ_b dz[b,o]·x[b,i]. M = O, N = I, K = B; A = dzᵀ (m contiguous, dz_vec4 needs O and dz_off to
 * be multiples of 4), B = x (n contiguous, x_vec4 needs I and x_off to be). */
KERNEL void linear_backward_weight(const GLOBAL float* x, int x_off, const GLOBAL float* dz, int dz_off,
                                   int batch, int inputs, int outputs, int x_vec4, int dz_vec4,
                                   GLOBAL float* dw, int dw_off)
{
    LOCAL float as[GEMM_BK * GEMM_LDS];
    LOCAL float bs[GEMM_BK * GEMM_LDS];
    gemm_tile(dz + dz_off, 1, outputs, 0, dz_vec4, x + x_off, inputs, 1, 0, x_vec4, outputs, inputs, batch,
              0, x + x_off, ACT_IDENTITY, dw + dw_off, as, bs);
}
