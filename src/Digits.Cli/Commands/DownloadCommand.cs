using Digits.Cli.Verbs;
using Digits.Core.Data;

namespace Digits.Cli.Commands;

/// <summary><c>digits download [NAME…]</c>: fetches each named dataset's four files into the data folder, verified
/// (<c>--dataset NAME</c> names one too; with neither, mnist).</summary>
internal sealed class DownloadCommand(DownloadVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        var names = verb.Names.Concat(verb.Dataset is { } d ? [d] : []).Distinct().ToList();
        if (names.Count == 0) names.Add("mnist");
        // Every name is checked before anything is fetched.
        var infos = names.Select(name => DatasetCatalog.Find(name) ?? throw new UsageException(
            $"'{name}' cannot be downloaded; the datasets are mnist, fashion-mnist and kmnist")).ToList();
        var location = DataLocator.Resolve(verb.Data);
        foreach (var info in infos)
        {
            DatasetFiles files;
            try
            {
                files = DatasetLoader.EnsureFiles(info, location, allowDownload: true, new DownloadReporter(stderr));
            }
            catch (DataUnavailableException e)
            {
                throw new UsageException(DataLoading.Explain(e));
            }
            foreach (var note in files.Notes) stdout.WriteLine(TerminalText.Escape(note));
            stdout.WriteLine(TerminalText.Escape($"{info.Name}: all four files present in {location.DownloadFolder(info)}"));
        }
        return ExitCodes.Success;
    }
}
