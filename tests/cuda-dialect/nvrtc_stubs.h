/* nvrtc_stubs.h: host stand-ins for what NVRTC gives a kernel implicitly, so that g++ can compile the CUDA
 * dialect of the kernels (prelude_cuda.h + common.h + *.cl) as C++ and emulate.cpp can run them on the CPU.
 * One std::thread per CUDA thread: threadIdx and blockIdx are thread_local, __shared__ arrays are function
 * statics (one block runs at a time), __syncthreads is a std::barrier. float4 is 16-byte aligned as in CUDA,
 * so -fsanitize=alignment reports a misaligned float4 load the way the GPU would fault on it. */
#pragma once
#include <atomic>
#include <barrier>
#include <math.h>

#define __global__
#define __device__
#define __shared__ static
#define __forceinline__ inline
#define __restrict__ __restrict

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };

extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern dim3 blockDim, gridDim;
extern std::barrier<>* emulated_block_barrier;

inline void __syncthreads() { emulated_block_barrier->arrive_and_wait(); }
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }
inline int atomicAdd(int* p, int v) { return std::atomic_ref<int>(*p).fetch_add(v); }
