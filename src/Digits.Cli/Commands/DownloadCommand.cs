using Digits.Cli.Verbs;
using Digits.Core.Data;

namespace Digits.Cli.Commands;

/// <summary><c>digits download</c>: fetches a named dataset's four files into the data folder, verified.</summary>
internal sealed class DownloadCommand(DownloadVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        string name = verb.Dataset ?? "mnist";
        var info = DatasetCatalog.Find(name)
                   ?? throw new UsageException($"--dataset: '{name}' cannot be downloaded; use mnist, fashion-mnist or kmnist");
        var location = DataLocator.Resolve(verb.Data);
        DatasetFiles files;
        try
        {
            files = DatasetLoader.EnsureFiles(info, location, allowDownload: true, new DownloadReporter(stderr));
        }
        catch (DataUnavailableException e)
        {
            throw new UsageException(e.Message);
        }
        foreach (var note in files.Notes) stdout.WriteLine(note);
        stdout.WriteLine($"{info.Name}: all four files present in {location.DownloadFolder(info)}");
        return ExitCodes.Success;
    }
}
