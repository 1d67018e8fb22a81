using System.Globalization;
using System.Text.Json;

namespace Digits.Core.Model;

/// <summary>The names of a model's classes, as <c>digits predict</c> and <c>Digits.Api</c> print them.</summary>
public static class ClassNames
{
    /// <summary>The model's <c>class_names</c> metadata (a JSON list of one string per output, "Sneaker" for
    /// Fashion-MNIST) when it holds one, else the class indices "0", "1", ….</summary>
    public static string[] Of(MlpModel model)
    {
        try
        {
            if (model.Metadata.TryGetValue("class_names", out var json) &&
                JsonSerializer.Deserialize<string[]>(json) is { } names && names.Length == model.Spec.Outputs &&
                names.All(n => n is not null))
                return names;
        }
        catch (JsonException)
        {
            // the indices below
        }
        return Enumerable.Range(0, model.Spec.Outputs).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray();
    }
}
