using System.Reflection;
using Digits.Core.Backends;
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

/// <summary>
/// Every kernel of <c>Kernels/*.cs</c>, loaded once for one accelerator when the backend starts (ILGPU compiles
/// each to PTX, OpenCL C or its CPU form then, so no launch compiles anything and a CUDA graph can record any of
/// them). Each family file reads its own delegates from here in its <c>Launch…</c> methods. Every delegate takes
/// the backend's one stream first: nothing goes to ILGPU's default stream.
/// </summary>
internal sealed class KernelSet
{
    /// <summary>Threads per group of the 1-D and reduction kernels.</summary>
    public const int GroupSize = 256;

    /// <summary>Loads every family; a kernel that fails is named, with the driver's JIT log
    /// (<see cref="KernelLoading"/>).</summary>
    /// <exception cref="KernelLoadException">a kernel did not compile or load.</exception>
    public KernelSet(Accelerator accelerator)
    {
        Accelerator = accelerator;
        KernelLoading.Load(this, typeof(FillKernels), FillKernels.Load);
        KernelLoading.Load(this, typeof(LinearKernels), LinearKernels.Load);
        KernelLoading.Load(this, typeof(ActivationKernels), ActivationKernels.Load);
        KernelLoading.Load(this, typeof(BiasKernels), BiasKernels.Load);
        KernelLoading.Load(this, typeof(LossKernels), LossKernels.Load);
        KernelLoading.Load(this, typeof(MetricsKernels), MetricsKernels.Load);
        KernelLoading.Load(this, typeof(GatherKernels), GatherKernels.Load);
        KernelLoading.Load(this, typeof(OptimizerKernels), OptimizerKernels.Load);
        KernelLoading.Load(this, typeof(RegularizationKernels), RegularizationKernels.Load);
    }

    public Accelerator Accelerator { get; }

    // Filled by each family's Load; named after the kernel (and its IBackend op).
    public Action<AcceleratorStream, Index1D, ArrayView<int>, int> Fill = null!;
    // The GEMMs: one kernel per tile size, indexed by GemmTileKind; LinearSplitSum adds split-K partials.
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<float>, GemmShape>[] LinearForward = null!;
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, GemmShape>[] LinearBackwardInput = null!;
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, GemmShape>[] LinearBackwardWeight = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, int, int, int, ArrayView<float>, int, int, ArrayView<float>> LinearSplitSum = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> ActivationBackward = null!;
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, int, ArrayView<float>> BiasBackward = null!;
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, int, int, float, ArrayView<float>, ArrayView<float>> SoftmaxCrossEntropy = null!;
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, int, int, float, ArrayView<float>, ArrayView<float>> QuadraticCost = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, int, ArrayView<int>> Argmax = null!;
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, int, int, ArrayView<int>> CountCorrect = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GatherShape, ArrayView<float>, ArrayView<int>> GatherBatch = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, OptimizerShape, ArrayView<float>, ArrayView<int>, ArrayView<float>> SgdStep = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, OptimizerShape, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>> MomentumStep = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, OptimizerShape, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>> AdamStep = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<float>> AdvanceStep = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, DropoutParameters, int, ArrayView<float>> Dropout = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, int, float> MaxNorm = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<int>, AugmentParameters, ArrayView<float>> AugmentRawField = null!;
    public Action<AcceleratorStream, Index1D, AugmentParameters, int, ArrayView<float>, ArrayView<float>> AugmentSmoothX = null!;
    public Action<AcceleratorStream, Index1D, AugmentParameters, int, ArrayView<float>, ArrayView<float>> AugmentSmoothY = null!;
    public Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, AugmentParameters, ArrayView<float>, ArrayView<float>> AugmentWarp = null!;

    /// <summary>Every kernel method, for the offline PTX compile test and <c>digits check</c>'s count.</summary>
    public static IReadOnlyList<(MethodInfo Method, bool Grouped)> All { get; } = typeof(KernelSet).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(KernelSet).Namespace)
        .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
        .Select(m => (Method: m, Attribute: m.GetCustomAttribute<KernelAttribute>()))
        .Where(p => p.Attribute is not null)
        .Select(p => (p.Method, p.Attribute!.Grouped))
        .OrderBy(p => p.Method.DeclaringType!.Name, StringComparer.Ordinal)
        .ThenBy(p => p.Method.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>A 1-D launch of <paramref name="count"/> threads (implicitly grouped kernels).</summary>
    public static Index1D Threads(long count) => new((int)count);
}
