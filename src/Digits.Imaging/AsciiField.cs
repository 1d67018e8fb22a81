using System.Text;

namespace Digits.Imaging;

/// <summary>A 28×28 field drawn in a terminal, for <c>digits predict --show</c>.</summary>
public static class AsciiField
{
    /// <summary>A (28·28) field as 28 lines of text, darkest to most ink along " .:-=+*#%@".</summary>
    public static string Render(ReadOnlySpan<float> field)
    {
        const string ramp = " .:-=+*#%@";
        var text = new StringBuilder();
        for (int y = 0; y < MnistFraming.Side; y++)
        {
            for (int x = 0; x < MnistFraming.Side; x++)
                text.Append(ramp[Math.Clamp((int)(field[y * MnistFraming.Side + x] * ramp.Length), 0, ramp.Length - 1)]);
            text.Append('\n');
        }
        return text.ToString();
    }
}
