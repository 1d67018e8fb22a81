using System.Text;

namespace Digits.Tests.Support;

/// <summary>Writes the first images of a dataset as a Kaggle digit-recognizer CSV (<c>label,pixel0,…,pixel783</c>,
/// pixels 0–255): a small dataset the CLI can train on in a child process.</summary>
public static class KaggleCsv
{
    public static void Write(string path, Core.Data.Dataset data, int count)
    {
        var text = new StringBuilder("label");
        for (int k = 0; k < 784; k++) text.Append(",pixel").Append(k);
        text.Append('\n');
        for (int i = 0; i < count; i++)
        {
            text.Append(data.Labels[i]);
            foreach (float v in data.Image(i)) text.Append(',').Append((int)MathF.Round(v * 255));
            text.Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }
}
