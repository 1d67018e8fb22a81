// BiasKernels: the bias gradient, a column reduction db[o] = Σ_b dz[b,o]. dz (B,O), dBias (O) overwritten.
// Launch: explicitly grouped, groups of 32 × 8 threads; group gx owns columns gx·32 … gx·32+31 (threads along x read
// consecutive columns: coalesced); the 8 rows of threads stride over the batch, each summing its rows in order, and
// the 8 partial sums are combined by a fixed tree in shared memory: no atomics, so one device gives the same sum
// run after run. Grid: ⌈O/32⌉ groups.
// CPU twin: ReferenceBackend.BiasBackwardCore; host side: IlgpuBackend.BiasBackwardCore → LaunchBiasBackward.
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

[KernelBudget(nameof(BiasBackward), registers: 24, sharedBytes: 4 * KernelSet.GroupSize, Threads = KernelSet.GroupSize)]
internal static class BiasKernels
{
    internal const int Columns = 32, Rows = KernelSet.GroupSize / Columns;

    [Kernel(grouped: true)]
    internal static void BiasBackward(ArrayView<float> dz, int batch, int outputs, ArrayView<float> db)
    {
        var partial = SharedMemory.Allocate<float>(KernelSet.GroupSize);
        int tx = Group.IdxX, ty = Group.IdxY, o = Grid.IdxX * Columns + tx;
        float sum = 0f;
        if (o < outputs)
            for (int b = ty; b < batch; b += Rows) sum += dz[b * outputs + o];
        partial[ty * Columns + tx] = sum;
        Group.Barrier();
        for (int stride = Rows / 2; stride > 0; stride >>= 1)
        {
            if (ty < stride) partial[ty * Columns + tx] += partial[(ty + stride) * Columns + tx];
            Group.Barrier();
        }
        if (ty == 0 && o < outputs) db[o] = partial[tx];
    }

    internal static void Load(KernelSet k) =>
        k.BiasBackward = k.Accelerator.LoadKernel<ArrayView<float>, int, int, ArrayView<float>>(BiasBackward);

    internal static void LaunchBiasBackward(KernelSet k, AcceleratorStream s, ArrayView<float> dz, int batch,
        int outputs, ArrayView<float> db) =>
        k.BiasBackward(s, new KernelConfig(new Index2D((outputs + Columns - 1) / Columns, 1), new Index2D(Columns, Rows)),
            dz, batch, outputs, db);
}
