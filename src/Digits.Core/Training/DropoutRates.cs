using System.Globalization;
using System.Text.Json.Serialization;

namespace Digits.Core.Training;

/// <summary>
/// Drop probabilities of the hidden layers' outputs (<see cref="TrainingOptions.Dropout"/>), one for all or one per
/// hidden layer ("0.5" or "0.5,0.5,0.3"). Compared by value, so options that hold it stay comparable (a resumed run
/// must have the options it began with).
/// </summary>
public sealed class DropoutRates : IEquatable<DropoutRates>
{
    /// <exception cref="ArgumentException">no rates, or one outside [0, 1).</exception>
    [JsonConstructor]
    public DropoutRates(IReadOnlyList<float> values)
    {
        if (values.Count == 0) throw new ArgumentException($"{Setting} needs at least one rate");
        foreach (float p in values)
            if (!(p >= 0 && p < 1)) throw new ArgumentException($"{Setting} rates must be in [0, 1), got {p}");
        Values = values.ToArray();
    }

    public IReadOnlyList<float> Values { get; }

    /// <summary>How messages name the rates: the property that holds them.</summary>
    private static string Setting => TrainingOptions.Name(nameof(TrainingOptions.Dropout));

    /// <summary>The rate after hidden layer <paramref name="layer"/> (0-based).</summary>
    public float For(int layer) => Values.Count == 1 ? Values[0] : Values[layer];

    /// <summary>Parses "0.5" or "0.5,0.3"; invariant culture.</summary>
    /// <exception cref="ArgumentException">not numbers in [0, 1).</exception>
    public static DropoutRates Parse(string text)
    {
        var rates = new List<float>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out float p))
                throw new ArgumentException($"{Setting}: '{part}' is not a number (give rates like 0.5 or 0.5,0.3)");
            rates.Add(p);
        }
        return new DropoutRates(rates);
    }

    public bool Equals(DropoutRates? other) => other is not null && Values.SequenceEqual(other.Values);
    public override bool Equals(object? obj) => Equals(obj as DropoutRates);
    public override int GetHashCode() => Values.Aggregate(17, (h, v) => h * 31 + v.GetHashCode());
    public override string ToString() => string.Join(',', Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}
