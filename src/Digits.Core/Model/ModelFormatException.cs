namespace Digits.Core.Model;

/// <summary>A model or checkpoint file that cannot be read; the message names the file and the problem.</summary>
public sealed class ModelFormatException(string path, string problem)
    : Exception($"{Path.GetFileName(path)}: {problem}")
{
    /// <summary>The file.</summary>
    public string FilePath { get; } = path;
}
