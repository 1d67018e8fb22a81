using Digits.Core.Data;
using Xunit;

namespace Digits.Tests.Data;

/// <summary><see cref="DataLocator"/>'s order (the folder given, DIGITS_DATA, cache) and <see cref="DataLocation.Find"/>.
/// </summary>
public sealed class DataLocatorTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    private static readonly Func<string, string?> All = Env(("DIGITS_DATA", "/env/data"),
        ("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/u"), ("LOCALAPPDATA", "/win/local"));

    [Fact]
    public void Data_option_wins_over_the_environment()
    {
        Assert.Equal(new DataLocation("/opt/d", "DataLocator.Resolve(folder)"), DataLocator.Resolve("/opt/d", All, windows: false));
    }

    [Fact]
    public void Environment_variable_wins_over_the_cache()
    {
        Assert.Equal(new DataLocation("/env/data", "DIGITS_DATA"), DataLocator.Resolve(null, All, windows: false));
        Assert.Equal(new DataLocation("/env/data", "DIGITS_DATA"), DataLocator.Resolve("", All, windows: false));
    }

    [Fact]
    public void Cache_folder_follows_the_platform()
    {
        var noData = Env(("DIGITS_DATA", ""), ("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/u"),
            ("LOCALAPPDATA", "/win/local"));
        Assert.Equal(new DataLocation(Path.Combine("/xdg", "digits"), "the user cache folder"),
            DataLocator.Resolve(null, noData, windows: false));
        Assert.Equal(Path.Combine("/home/u", ".cache", "digits"),
            DataLocator.CacheRoot(Env(("HOME", "/home/u")), windows: false));
        Assert.Equal(Path.Combine("/home/u", ".cache", "digits"),
            DataLocator.CacheRoot(Env(("HOME", "/home/u"), ("XDG_CACHE_HOME", "relative/cache")), windows: false));
        Assert.Equal(Path.Combine("/win/local", "digits"), DataLocator.CacheRoot(noData, windows: true));
    }

    [Fact]
    public void Relative_data_folder_is_made_absolute()
    {
        Assert.Equal(Path.GetFullPath("some/where"), DataLocator.Resolve("some/where", All).Root);
    }

    [Fact]
    public void Finds_files_in_the_dataset_folder_then_the_root_gz_before_raw()
    {
        using var dir = new TempDir();
        var location = new DataLocation(dir.Path, "--data");
        var mnist = DatasetCatalog.Mnist;
        Assert.Null(location.Find(mnist, DatasetCatalog.TrainImages));
        Assert.Equal([dir.File("mnist"), dir.Path], location.FoldersFor(mnist));

        string rawInRoot = dir.Write("train-images-idx3-ubyte", [1]);
        Assert.Equal(rawInRoot, location.Find(mnist, DatasetCatalog.TrainImages));
        string gzInRoot = dir.Write("train-images-idx3-ubyte.gz", [1]);
        Assert.Equal(gzInRoot, location.Find(mnist, DatasetCatalog.TrainImages));
        string rawInFolder = dir.Write("mnist/train-images-idx3-ubyte", [1]);
        Assert.Equal(rawInFolder, location.Find(mnist, DatasetCatalog.TrainImages));
        string gzInFolder = dir.Write("mnist/train-images-idx3-ubyte.gz", [1]);
        Assert.Equal(gzInFolder, location.Find(mnist, DatasetCatalog.TrainImages));

        Assert.Null(location.Find(DatasetCatalog.Mnist, DatasetCatalog.TestImages));
        Assert.Equal(dir.File("kmnist"), location.DownloadFolder(DatasetCatalog.Kmnist));
    }
}
