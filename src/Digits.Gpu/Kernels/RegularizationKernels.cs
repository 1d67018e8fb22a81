// RegularizationKernels: dropout, max-norm and augmentation. Every random draw and every float formula is the shared
// scalar code of Digits.Core (Philox.Block, DropoutParameters.Keep, Augmentation.*), called from the kernels as it is,
// so every backend does the same float operations in the same order. The global step t = counter[1] is read on the
// device by every thread: a step issues the same launches with the same arguments (capturable as a CUDA graph) and
// moves nothing between host and device.
//
//   Dropout          y[e] = keep(e, t) ? x[e]·scale : 0. x, y (count); y may be x. counter (≥ 2).
//                    Launch: implicitly grouped, one thread per 8-element Philox block (⌈count/8⌉ threads), each
//                    reading then writing its own elements, so in place is safe.
//   MaxNorm          per row o of weight (O,I): n = √(Σᵢ W[o,i]²) summed in index order; if n > maxNorm,
//                    W[o,:] *= maxNorm/n. Launch: implicitly grouped, one thread per row (O threads).
//   Augment…         x, y (B, H·W); gaussian (2R+1); field (4·B·H·W when R > 0): raw/smoothed fields in
//                    [0, 2BHW), image r's at r·2HW (x component, then y), the horizontal pass in [2BHW, 4BHW).
//                    Four launches in order on the one stream (only the last when R = 0):
//     AugmentRawField   field[r·2HW + e] = Augmentation.RawField(r, t, e)         B·2·H·W threads
//     AugmentSmoothX    horizontal Gaussian pass → field[2BHW + …]                B·2·H·W threads
//     AugmentSmoothY    vertical Gaussian pass → field[0 .. 2BHW)                 B·2·H·W threads
//     AugmentWarp       y[r, v·W + u] = bilinear sample of image r at its affine map (+ α·field), zeros outside;
//                       one thread per output pixel (B·H·W threads)
//                    Taps outside the image are skipped and sums run in tap order k = −R..R, as the reference's.
// CPU twins: ReferenceBackend.DropoutCore / MaxNormCore / AugmentImage (CpuBackend.Regularization runs the same
// per-element code); host side: IlgpuBackend.DropoutCore / MaxNormCore / AugmentCore → Launch….
using Digits.Core.Backends;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

[KernelBudget(nameof(Dropout), registers: 24, sharedBytes: 0)]
[KernelBudget(nameof(MaxNorm), registers: 32, sharedBytes: 0)]
[KernelBudget(nameof(AugmentRawField), registers: 24, sharedBytes: 0)]
[KernelBudget(nameof(AugmentSmoothX), registers: 24, sharedBytes: 0)]
[KernelBudget(nameof(AugmentSmoothY), registers: 32, sharedBytes: 0)]
[KernelBudget(nameof(AugmentWarp), registers: 40, sharedBytes: 0)]
internal static class RegularizationKernels
{
    [Kernel(grouped: false)]
    internal static void Dropout(Index1D b, ArrayView<float> x, ArrayView<int> counter, DropoutParameters d, int count,
        ArrayView<float> y)
    {
        int step = counter[1];
        var block = Philox.Block((uint)(int)b, (uint)step, (uint)d.Stream, Philox.PurposeDropout, d.SeedLow, d.SeedHigh);
        int first = b * 8, last = first + 8 < count ? first + 8 : count;
        for (int e = first; e < last; e++)
            y[e] = DropoutParameters.Keep(block, e, d.Threshold) ? x[e] * d.Scale : 0f;
    }

    [Kernel(grouped: false)]
    internal static void MaxNorm(Index1D o, ArrayView<float> weight, int inputs, float maxNorm)
    {
        long start = (long)(int)o * inputs;
        float sum = 0f;
        for (int i = 0; i < inputs; i++)
        {
            float w = weight[start + i];
            sum += w * w;
        }
        float norm = XMath.Sqrt(sum);
        if (!(norm > maxNorm)) return;
        float factor = maxNorm / norm;
        for (int i = 0; i < inputs; i++) weight[start + i] *= factor;
    }

    [Kernel(grouped: false)]
    internal static void AugmentRawField(Index1D t, ArrayView<int> counter, AugmentParameters a, ArrayView<float> field)
    {
        int twoPixels = 2 * a.Height * a.Width;
        int r = t / twoPixels;
        field[t] = Augmentation.RawField(a, r, counter[1], t - r * twoPixels);
    }

    [Kernel(grouped: false)]
    internal static void AugmentSmoothX(Index1D t, AugmentParameters a, int batch, ArrayView<float> gaussian,
        ArrayView<float> field)
    {
        int w = a.Width, radius = a.ElasticRadius;
        int row = t / w, u = t - row * w; // row = (r·2 + c)·H + v: the taps stay within one row of one component
        int rowStart = row * w;
        float sum = 0f;
        for (int k = -radius; k <= radius; k++)
            if (u + k >= 0 && u + k < w)
                sum += gaussian[k + radius] * field[rowStart + u + k];
        field[2 * batch * a.Height * w + t] = sum;
    }

    [Kernel(grouped: false)]
    internal static void AugmentSmoothY(Index1D t, AugmentParameters a, int batch, ArrayView<float> gaussian,
        ArrayView<float> field)
    {
        int h = a.Height, w = a.Width, pixels = h * w, radius = a.ElasticRadius;
        int plane = t / pixels, p = t - plane * pixels, v = p / w, u = p - v * w; // plane = r·2 + c
        int across = 2 * batch * pixels + plane * pixels + u;
        float sum = 0f;
        for (int k = -radius; k <= radius; k++)
            if (v + k >= 0 && v + k < h)
                sum += gaussian[k + radius] * field[across + (v + k) * w];
        field[t] = sum;
    }

    [Kernel(grouped: false)]
    internal static void AugmentWarp(Index1D t, ArrayView<float> x, ArrayView<int> counter, AugmentParameters a,
        ArrayView<float> field, ArrayView<float> y)
    {
        int h = a.Height, w = a.Width, pixels = h * w;
        int r = t / pixels, p = t - r * pixels, v = p / w, u = p - v * w;
        var map = Augmentation.Map(a, r, counter[1]);
        float sx = Augmentation.SourceX(map, u, v), sy = Augmentation.SourceY(map, u, v);
        if (a.ElasticRadius > 0)
        {
            sx += a.ElasticAlpha * field[r * 2 * pixels + p];
            sy += a.ElasticAlpha * field[r * 2 * pixels + pixels + p];
        }
        int x0 = Augmentation.Floor(sx, w), y0 = Augmentation.Floor(sy, h);
        float fx = sx - x0, fy = sy - y0;
        int image = r * pixels;
        y[t] = Augmentation.Bilinear(Pixel(x, image, w, h, x0, y0), Pixel(x, image, w, h, x0 + 1, y0),
            Pixel(x, image, w, h, x0, y0 + 1), Pixel(x, image, w, h, x0 + 1, y0 + 1), fx, fy);
    }

    /// <summary>Pixel (i, j) (column, row) of the image at <paramref name="image"/>, 0 outside it.</summary>
    private static float Pixel(ArrayView<float> x, int image, int w, int h, int i, int j) =>
        i >= 0 && i < w && j >= 0 && j < h ? x[image + j * w + i] : 0f;

    internal static void Load(KernelSet k)
    {
        var a = k.Accelerator;
        k.Dropout = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, DropoutParameters, int,
            ArrayView<float>>(Dropout);
        k.MaxNorm = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, int, float>(MaxNorm);
        k.AugmentRawField = a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, AugmentParameters, ArrayView<float>>(
            AugmentRawField);
        k.AugmentSmoothX = a.LoadAutoGroupedKernel<Index1D, AugmentParameters, int, ArrayView<float>,
            ArrayView<float>>(AugmentSmoothX);
        k.AugmentSmoothY = a.LoadAutoGroupedKernel<Index1D, AugmentParameters, int, ArrayView<float>,
            ArrayView<float>>(AugmentSmoothY);
        k.AugmentWarp = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, AugmentParameters,
            ArrayView<float>, ArrayView<float>>(AugmentWarp);
    }

    internal static void LaunchDropout(KernelSet k, AcceleratorStream s, ArrayView<float> x, ArrayView<int> counter,
        in DropoutParameters dropout, int count, ArrayView<float> y) =>
        k.Dropout(s, KernelSet.Threads(((long)count + 7) / 8), x, counter, dropout, count, y);

    internal static void LaunchMaxNorm(KernelSet k, AcceleratorStream s, ArrayView<float> weight, int outputs,
        int inputs, float maxNorm) =>
        k.MaxNorm(s, KernelSet.Threads(outputs), weight, inputs, maxNorm);

    /// <summary>The raw field, its two Gaussian passes (when R &gt; 0), then the warp, in order on one stream.</summary>
    internal static void LaunchAugment(KernelSet k, AcceleratorStream s, ArrayView<float> x, ArrayView<int> counter,
        in AugmentParameters augment, int batch, ArrayView<float> gaussian, ArrayView<float> field,
        ArrayView<float> y)
    {
        long pixels = (long)batch * augment.Height * augment.Width;
        if (augment.ElasticRadius > 0)
        {
            var fields = KernelSet.Threads(2 * pixels);
            k.AugmentRawField(s, fields, counter, augment, field);
            k.AugmentSmoothX(s, fields, augment, batch, gaussian, field);
            k.AugmentSmoothY(s, fields, augment, batch, gaussian, field);
        }
        k.AugmentWarp(s, KernelSet.Threads(pixels), x, counter, augment, field, y);
    }
}
