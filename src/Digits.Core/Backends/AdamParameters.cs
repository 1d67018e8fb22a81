namespace Digits.Core.Backends;

/// <summary>
/// Adam's hyper-parameters that stay the same from step to step (Kingma &amp; Ba 2015): β₁, β₂, ε and the L2 weight
/// decay λ. What changes per step — the learning rate and the bias corrections — is read on the device from the step
/// schedule (see <see cref="IBackend.AdamStep"/>); <see cref="Corrections"/> computes the corrections that go there.
/// </summary>
public readonly record struct AdamParameters(float Beta1, float Beta2, float Epsilon, float WeightDecay)
{
    /// <summary>The bias corrections of step <paramref name="t"/> (1-based): c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ), computed
    /// in double and rounded to float once.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="t"/> is less than 1.</exception>
    public (float Correction1, float Correction2) Corrections(long t)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(t, 1);
        return ((float)(1.0 / (1.0 - Math.Pow(Beta1, t))), (float)(1.0 / (1.0 - Math.Pow(Beta2, t))));
    }
}
