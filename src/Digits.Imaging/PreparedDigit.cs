namespace Digits.Imaging;

/// <summary>What the model gets from one digit: <see cref="Field"/> (28·28) row-major ink levels in [0, 1], 1 = ink,
/// and a <see cref="Problem"/> when no digit was found (then the field is all zeros).</summary>
public sealed record PreparedDigit(float[] Field, string? Problem);
