using Digits.Gpu.Inspection;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>
/// Every kernel compiled offline to PTX by ILGPU's PTX backend, for sm_80 (A100) and sm_90 (H100/H200), with no GPU:
/// what the CUDA accelerator would load. No <c>ptxas</c> is reachable here, so the checks are structural: each
/// kernel compiles (a failure names it), the tiled GEMMs stage tiles through shared memory between barriers and
/// read aligned tiles with 16-byte vector loads, and the reproducible sums use no atomics at all.
/// </summary>
public sealed class PtxCompileTests
{
    public static TheoryData<string> Architectures => new() { "sm_80", "sm_90" };

    private static Dictionary<string, string> CompileAll(string architecture, out IReadOnlyList<string> failures) =>
        OfflinePtx.CompileAll(architecture, out failures).ToDictionary(k => k.Name, k => k.Ptx);

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_kernel_compiles_to_PTX(string architecture)
    {
        var ptx = CompileAll(architecture, out var failures);
        Assert.True(failures.Count == 0, $"kernels that do not compile for {architecture}:\n" + string.Join("\n", failures));
        // Every IBackend op's kernel is there (the list is found by reflection over [Kernel] methods).
        foreach (string kernel in new[] { "Fill", "LinearForward", "LinearBackwardInput", "LinearBackwardWeight",
                     "ActivationBackward", "BiasBackward", "SoftmaxCrossEntropy", "QuadraticCost", "Argmax",
                     "CountCorrect", "GatherBatch", "SgdStep", "MomentumStep", "AdamStep", "AdvanceStep", "Dropout",
                     "MaxNorm", "AugmentRawField", "AugmentSmoothX", "AugmentSmoothY", "AugmentWarp" })
        {
            Assert.True(ptx.ContainsKey(kernel), $"no kernel {kernel} in KernelSet.All");
            Assert.Contains(".entry ", ptx[kernel]);
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_tiled_GEMMs_use_shared_memory_barriers_and_16_byte_loads(string architecture)
    {
        var ptx = CompileAll(architecture, out _);
        foreach (string gemm in new[] { "LinearForward", "LinearBackwardInput", "LinearBackwardWeight",
                     "LinearForwardSmall", "LinearBackwardInputSmall", "LinearBackwardWeightSmall" })
        {
            string text = ptx[gemm];
            Assert.Contains(".shared", text);
            Assert.Contains("bar.sync", text);
            Assert.Contains("ld.global.v4.f32", text);
            Assert.Contains("ld.shared.v4.f32", text); // the main loop reads 16-byte vectors of the staged tiles
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_reproducible_sums_use_no_atomics(string architecture)
    {
        var ptx = CompileAll(architecture, out _);
        foreach (string sum in new[] { "BiasBackward", "SoftmaxCrossEntropy", "QuadraticCost", "CountCorrect" })
        {
            string text = ptx[sum];
            Assert.Contains("bar.sync", text); // the fixed shared-memory tree
            Assert.DoesNotMatch(@"(^|\s)(atom|red)\.", text); // atom.global.add.f32, red.shared.add.s32, …
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_GEMMs_and_their_split_K_sum_use_no_atomics(string architecture)
    {
        // Split-K partials go to a workspace and LinearSplitSum adds them in a fixed order: reproducible sums.
        var ptx = CompileAll(architecture, out _);
        var gemms = ptx.Keys.Where(k => k.StartsWith("Linear", StringComparison.Ordinal)).ToArray();
        Assert.Contains("LinearSplitSum", gemms);
        Assert.Contains("LinearForwardSmall", gemms);
        foreach (string gemm in gemms)
            Assert.DoesNotMatch(@"(^|\s)(atom|red)\.", ptx[gemm]);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Each_kernel_holds_exactly_the_approximate_instructions_its_budget_allows(string architecture)
    {
        var kernels = OfflinePtx.CompileAll(architecture, out var failures);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Empty(KernelBudgets.Unbudgeted());
        var wrong = new List<string>();
        foreach (var kernel in kernels)
        {
            var found = OfflinePtx.Approximations(kernel.Ptx);
            var allowed = KernelBudgets.For(kernel.Name)!.Approximations;
            if (!found.SequenceEqual(allowed))
                wrong.Add($"{kernel.Family}.{kernel.Name}: the PTX holds [{string.Join(", ", found)}], its budget " +
                          $"allows [{string.Join(", ", allowed)}]");
        }
        // A new approximation is a decision: name it in the budget and widen the CUDA tolerances it affects.
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        // tanh is computed from exp: tanh.approx.f32 errs by up to 2^-11 relative.
        Assert.DoesNotContain(kernels, k => k.Ptx.Contains("tanh.approx", StringComparison.Ordinal));
    }

    [Fact]
    public void Approximations_are_found_by_their_instruction_names()
    {
        const string ptx = "\tex2.approx.f32 %f12, %f11;\n\tlg2.approx.ftz.f32 %f1, %f2;\n\tdiv.rn.f32 %f3, %f4, %f5;\n" +
                           "\tex2.approx.f32 %f13, %f1;\n\t// sin.approx.f32 in a comment still counts\n";
        Assert.Equal(["ex2.approx.f32", "lg2.approx.ftz.f32", "sin.approx.f32"], OfflinePtx.Approximations(ptx));
        Assert.Empty(OfflinePtx.Approximations("\tdiv.rn.f32 %f3, %f4, %f5;\n\tsqrt.rn.f32 %f1, %f2;"));
    }
}
