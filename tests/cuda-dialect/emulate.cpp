/* emulate.cpp: runs the CUDA dialect of the three GEMM kernels (linear.cl behind prelude_cuda.h, compiled by
 * g++ with nvrtc_stubs.h) on the CPU and checks them against a double-precision reference, over odd shapes and
 * view offsets, with the *_vec4 flags set by GpuBackend.Float4Aligned's rule (offset and leading dimension
 * multiples of 4), and both with and without float4 loads. Built with -fsanitize=alignment,address by run.sh,
 * so a float4 load from a misaligned address, or a read outside a matrix, stops it. `emulate misaligned`
 * instead forces float4 loads on a view at offset 1, to show the sanitizer catches it. */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <thread>
#include <vector>
#include "nvrtc_stubs.h"

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
dim3 blockDim, gridDim;
std::barrier<>* emulated_block_barrier;

#include "composed.cu"

/* Runs body once per thread of a gridX × gridY grid of blockX × blockY blocks, one block at a time. */
static void launch(unsigned gridX, unsigned gridY, unsigned blockX, unsigned blockY, const std::function<void()>& body)
{
    gridDim = {gridX, gridY, 1};
    blockDim = {blockX, blockY, 1};
    std::barrier<> barrier((std::ptrdiff_t)(blockX * blockY));
    emulated_block_barrier = &barrier;
    std::vector<std::thread> threads;
    for (unsigned ty = 0; ty < blockY; ty++)
        for (unsigned tx = 0; tx < blockX; tx++)
            threads.emplace_back([&, tx, ty] {
                threadIdx = {tx, ty, 0};
                for (unsigned gy = 0; gy < gridY; gy++)
                    for (unsigned gx = 0; gx < gridX; gx++) {
                        blockIdx = {gx, gy, 0};
                        body();
                        barrier.arrive_and_wait(); /* the next block reuses the shared arrays */
                    }
            });
    for (auto& t : threads) t.join();
}

static bool aligned4(int offset, int leading) { return offset % 4 == 0 && leading % 4 == 0; }

/* A matrix placed at `offset` floats into its own exactly-sized heap allocation (so ASan sees a read even one
 * element past it), 16-byte aligned as cuMemAlloc's are (256). */
struct Matrix {
    float* base;
    int offset, length;
    Matrix(int offset, int length, std::mt19937& random) : offset(offset), length(length)
    {
        void* memory = nullptr;
        if (posix_memalign(&memory, 16, (size_t)(offset + length) * 4 + (offset + length == 0 ? 4 : 0)) != 0) abort();
        base = (float*)memory;
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        for (int k = 0; k < offset + length; k++) base[k] = uniform(random);
    }
    ~Matrix() { free(base); }
    float operator[](int k) const { return base[offset + k]; }
};

static int failures = 0, checks = 0;

static void compare(const char* what, int B, int I, int O, int off, bool vec, const Matrix& c,
                    const std::function<double(int)>& expected, int terms)
{
    checks++;
    for (int k = 0; k < c.length; k++) {
        double e = expected(k), a = c[k];
        if (fabs(a - e) > 1e-5 + 2e-7 * terms + 1e-5 * fabs(e)) {
            std::printf("FAIL %s B=%d I=%d O=%d offset=%d vec=%d: [%d] %.7g vs %.7g\n", what, B, I, O, off, vec, k, a, e);
            failures++;
            return;
        }
    }
}

static unsigned groups(int n) { return (unsigned)((n + GEMM_BM - 1) / GEMM_BM); }

static void run_case(int B, int I, int O, int offA, int offB, bool vectors, std::mt19937& random)
{
    /* forward: y(B,O) = x(B,I)·W(O,I)ᵀ + bias */
    {
        Matrix x(offA, B * I, random), w(offB, O * I, random), bias(0, O, random), y(3, B * O, random);
        int xv = vectors && aligned4(offA, I), wv = vectors && aligned4(offB, I);
        launch(groups(O), groups(B), GEMM_T, GEMM_T, [&] {
            linear_forward(x.base, offA, w.base, offB, bias.base, 0, ACT_IDENTITY, B, I, O, xv, wv, y.base, 3);
        });
        compare("linear_forward", B, I, O, offA * 10 + offB, vectors, y, [&](int k) {
            int b = k / O, o = k % O;
            double s = bias[o];
            for (int i = 0; i < I; i++) s += (double)x[b * I + i] * w[o * I + i];
            return s;
        }, I);
    }
    /* backward-input: dx(B,I) = dz(B,O)·W(O,I) */
    {
        Matrix dz(offA, B * O, random), w(offB, O * I, random), dx(1, B * I, random);
        int dzv = vectors && aligned4(offA, O), wv = vectors && aligned4(offB, I);
        launch(groups(I), groups(B), GEMM_T, GEMM_T, [&] {
            linear_backward_input(dz.base, offA, w.base, offB, B, I, O, dzv, wv, dx.base, 1);
        });
        compare("linear_backward_input", B, I, O, offA * 10 + offB, vectors, dx, [&](int k) {
            int b = k / I, i = k % I;
            double s = 0;
            for (int o = 0; o < O; o++) s += (double)dz[b * O + o] * w[o * I + i];
            return s;
        }, O);
    }
    /* backward-weight: dW(O,I) = dz(B,O)ᵀ·x(B,I) */
    {
        Matrix x(offA, B * I, random), dz(offB, B * O, random), dw(2, O * I, random);
        int xv = vectors && aligned4(offA, I), dzv = vectors && aligned4(offB, O);
        launch(groups(I), groups(O), GEMM_T, GEMM_T, [&] {
            linear_backward_weight(x.base, offA, dz.base, offB, B, I, O, xv, dzv, dw.base, 2);
        });
        compare("linear_backward_weight", B, I, O, offA * 10 + offB, vectors, dw, [&](int k) {
            int o = k / I, i = k % I;
            double s = 0;
            for (int b = 0; b < B; b++) s += (double)dz[b * O + o] * x[b * I + i];
            return s;
        }, B);
    }
}

/* gemm_tile itself with padded leading dimensions (K or R not a multiple of 4, the stride rounded up past it),
 * which none of the three kernels passes but the helper allows: float4 runs then straddle the edge of a row and
 * must be read element by element. A(m,k) is k- or m-contiguous, B(k,n) k- or n-contiguous; each allocation
 * ends right after its last element. */
static void run_padded(int M, int N, int K, int a_kfast, int b_kfast, std::mt19937& random)
{
    auto pad = [](int n) { return (n + 3) / 4 * 4 + 4; };
    int a_lead = a_kfast ? pad(K) : pad(M), b_lead = b_kfast ? pad(K) : pad(N);
    int a_rows = a_kfast ? M : K, a_cols = a_kfast ? K : M, b_rows = b_kfast ? N : K, b_cols = b_kfast ? K : N;
    Matrix a(0, a_rows == 0 ? 0 : (a_rows - 1) * a_lead + a_cols, random);
    Matrix b(4, b_rows == 0 ? 0 : (b_rows - 1) * b_lead + b_cols, random);
    Matrix c(0, M * N, random);
    int a_m = a_kfast ? a_lead : 1, a_k = a_kfast ? 1 : a_lead, b_k = b_kfast ? 1 : b_lead, b_n = b_kfast ? b_lead : 1;
    launch((unsigned)((N + GEMM_BN - 1) / GEMM_BN), groups(M), GEMM_T, GEMM_T, [&] {
        static float as[GEMM_BK * GEMM_LDS], bs[GEMM_BK * GEMM_LDS];
        gemm_tile(a.base, a_m, a_k, a_kfast, 1, b.base + 4, b_k, b_n, b_kfast, 1, M, N, K, 0, nullptr, ACT_IDENTITY,
                  c.base, as, bs);
    });
    compare(a_kfast ? (b_kfast ? "gemm_tile padded NT" : "gemm_tile padded NN")
                    : (b_kfast ? "gemm_tile padded TT" : "gemm_tile padded TN"),
            M, K, N, 0, true, c, [&](int e) {
        int m = e / N, n = e % N;
        double s = 0;
        for (int k = 0; k < K; k++) s += (double)a[m * a_m + k * a_k] * b[k * b_k + n * b_n];
        return s;
    }, K);
}

int main(int argc, char** argv)
{
    std::mt19937 random(1);
    if (argc > 1 && std::strcmp(argv[1], "misaligned") == 0) {
        /* negative control: float4 loads forced on a view at offset 1 (the host would never do this) */
        Matrix x(1, 8 * 16, random), w(0, 8 * 16, random), bias(0, 8, random), y(0, 64, random);
        launch(1, 1, GEMM_T, GEMM_T, [&] {
            linear_forward(x.base, 1, w.base, 0, bias.base, 0, ACT_IDENTITY, 8, 16, 8, 1, 1, y.base, 0);
        });
        std::printf("misaligned float4 loads were not caught\n");
        return 1;
    }
    /* (B, I, O): tile residues, sizes below one run of 4, multiples of 4 and not, batch 1, the large config's
     * last layer's width */
    const int shapes[][3] = {
        {1, 1, 1}, {1, 4, 4}, {3, 5, 7}, {4, 8, 12}, {65, 17, 63}, {64, 64, 64}, {67, 36, 12}, {5, 784, 10},
        {1, 300, 1}, {300, 1, 1}, {7, 20, 130}, {33, 132, 68}, {2, 1024, 10}, {70, 10, 6},
    };
    const int offsets[][2] = {{0, 0}, {4, 8}, {0, 5}, {1, 0}, {2, 3}};
    for (auto& s : shapes)
        for (auto& o : offsets)
            for (int vectors = 0; vectors < 2; vectors++) run_case(s[0], s[1], s[2], o[0], o[1], vectors, random);
    const int padded[][3] = {{5, 6, 7}, {70, 33, 19}, {1, 1, 1}, {3, 66, 2}, {66, 3, 17}};
    for (auto& s : padded)
        for (int a_kfast = 0; a_kfast < 2; a_kfast++)
            for (int b_kfast = 0; b_kfast < 2; b_kfast++) run_padded(s[0], s[1], s[2], a_kfast, b_kfast, random);
    std::printf("%s: %d GEMM launches checked (GEMM_T=%d), %d failed\n", failures ? "FAILED" : "ok", checks,
                GEMM_T, failures);
    return failures ? 1 : 0;
}
