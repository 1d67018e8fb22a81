using System.Reflection;
using Digits.Gpu.Kernels;

namespace Digits.Gpu.Inspection;

/// <summary>One kernel's budget as its family's file states it (<c>[KernelBudget]</c> above the class): at most
/// <see cref="Registers"/> per thread and <see cref="SharedBytes"/> of static shared memory per group after ptxas,
/// <see cref="Threads"/> per group as launched (0: implicitly grouped, the driver picks the group size), and the
/// approximate PTX instructions it may hold.</summary>
public sealed record KernelBudget(string Kernel, string Family, int Registers, int SharedBytes, int Threads,
    IReadOnlyList<string> Approximations);

/// <summary>Every kernel's <see cref="KernelBudget"/>, read from the attributes of <c>Kernels/*Kernels.cs</c>.</summary>
public static class KernelBudgets
{
    /// <summary>Budgets in <c>KernelSet.All</c>'s order (family, then kernel); a kernel without one is absent.</summary>
    public static IReadOnlyList<KernelBudget> All { get; } = KernelSet.All
        .Select(k => k.Method)
        .SelectMany(m => m.DeclaringType!.GetCustomAttributes<KernelBudgetAttribute>()
            .Where(b => b.Kernel == m.Name)
            .Select(b => new KernelBudget(b.Kernel, m.DeclaringType!.Name, b.Registers, b.SharedBytes, b.Threads,
                b.Approximations.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Order(StringComparer.Ordinal).ToArray())))
        .ToArray();

    /// <summary>The kernels of <c>KernelSet.All</c> with no budget, or more than one, as "Family.Kernel".</summary>
    public static IReadOnlyList<string> Unbudgeted() => KernelSet.All
        .Select(k => k.Method)
        .Where(m => All.Count(b => b.Kernel == m.Name && b.Family == m.DeclaringType!.Name) != 1)
        .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
        .ToArray();

    /// <summary>The budget of <paramref name="kernel"/> (a kernel method's name), or null.</summary>
    public static KernelBudget? For(string kernel) => All.FirstOrDefault(b => b.Kernel == kernel);
}
