using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

/// <summary>Marks a static method of this folder as a kernel ILGPU compiles: <see cref="Grouped"/> says whether it
/// is explicitly grouped (launched with a <see cref="KernelConfig"/>: shared memory and barriers) or implicitly
/// grouped (its first parameter an <see cref="Index1D"/>, one thread per element).</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class KernelAttribute(bool grouped) : Attribute
{
    public bool Grouped { get; } = grouped;
}
