namespace Digits.Api;

/// <summary>One image's result: the most probable class, its name, and every class's probability.</summary>
/// <param name="Class">The predicted class index, 0 ≤ Class &lt; number of classes.</param>
/// <param name="Name">Its name from the model's <c>class_names</c> ("7" for MNIST, "Sneaker" for Fashion-MNIST).</param>
/// <param name="Probabilities">One value per class, each in [0, 1], summing to 1 (up to float rounding).</param>
public sealed record Prediction(int Class, string Name, float[] Probabilities)
{
    /// <summary>The probability of the predicted class.</summary>
    public float Confidence => Probabilities[Class];
}
