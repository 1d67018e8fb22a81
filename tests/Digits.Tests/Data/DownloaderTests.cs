using Digits.Core.Data;
using Xunit;

namespace Digits.Tests.Data;

/// <summary><see cref="Downloader"/> and <see cref="DatasetLoader.EnsureFiles"/> against a local HTTP server serving
/// the real MNIST files from <c>$DIGITS_DATA/mnist</c>.</summary>
public sealed class DownloaderTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static DatasetInfo MnistAt(Uri baseUrl) => DatasetCatalog.Mnist with { BaseUrl = baseUrl };

    [Fact]
    public void Downloads_all_four_files_verifies_and_loads_them()
    {
        string source = RealData.Folder("mnist");
        using var server = LocalHttpServer.ForFolder(source);
        using var dir = new TempDir();
        var reports = new List<DownloadProgress>();
        var spec = new DatasetSpec.Named(MnistAt(server.BaseUrl));
        var splits = DatasetLoader.Load(spec, new DataLocation(dir.Path, "test"), allowDownload: true,
            new Recorder(reports), validationCount: 0, seed: 1, cancel: Cancel);

        Assert.Equal((60000, 10000), (splits.Train.Count, splits.Test.Count));
        Assert.Equal(DatasetCatalog.FileNames, server.Requested);
        foreach (string name in DatasetCatalog.FileNames)
        {
            string path = Path.Combine(dir.Path, "mnist", name);
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, name)), File.ReadAllBytes(path));
            Assert.Contains($"downloaded {server.BaseUrl}{name} to {path} (SHA-256 verified)", splits.Notes);
            var last = reports.Last(r => r.FileName == name);
            Assert.Equal(new FileInfo(path).Length, last.BytesDone);
            Assert.Equal(last.BytesDone, last.TotalBytes);
        }
        Assert.Equal(DatasetCatalog.FileNames.Order(), Directory.GetFiles(Path.Combine(dir.Path, "mnist"))
            .Select(Path.GetFileName).Order());

        // A second run finds everything and downloads nothing.
        var again = DatasetLoader.Load(spec, new DataLocation(dir.Path, "test"), true, null, 0, 1,
            cancel: Cancel);
        Assert.Empty(again.Notes);
        Assert.Equal(4, server.Requested.Count);
    }

    [Fact]
    public void Corrupted_download_is_refused_and_leaves_no_file()
    {
        string source = RealData.Folder("mnist");
        using var server = LocalHttpServer.ForFolder(source, (_, bytes) =>
        {
            bytes[bytes.Length / 2] ^= 0x01;
            return bytes;
        });
        using var dir = new TempDir();
        using var downloader = new Downloader();
        var info = MnistAt(server.BaseUrl);
        var ex = Assert.Throws<DataUnavailableException>(
            () => downloader.Download(info, DatasetCatalog.TrainLabels, dir.Path, cancel: Cancel));
        Assert.StartsWith($"{DatasetCatalog.TrainLabels}: SHA-256 mismatch: expected " +
            $"{info.File(DatasetCatalog.TrainLabels).Checksum}, got ", ex.Message);
        Assert.Contains("; the download was corrupted or the mirror changed", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Md5_datasets_are_verified_by_md5()
    {
        string source = RealData.Folder("mnist");
        using var server = LocalHttpServer.ForFolder(source);
        using var dir = new TempDir();
        using var downloader = new Downloader();
        string[] md5 = ["f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"];
        var info = MnistAt(server.BaseUrl) with
        {
            ChecksumKind = ChecksumKind.Md5,
            Files = DatasetCatalog.FileNames.Select((n, i) => new DataFileInfo(n, md5[i])).ToArray(),
        };
        string path = downloader.Download(info, DatasetCatalog.TestLabels, dir.Path, cancel: Cancel);
        Assert.Equal(10000, IdxReader.ReadLabels(path).Length);

        var wrong = info with { Files = [.. info.Files.Select(f => f with { Checksum = new string('0', 32) })] };
        var ex = Assert.Throws<DataUnavailableException>(() => downloader.Download(wrong, DatasetCatalog.TestLabels,
            Path.Combine(dir.Path, "again"), cancel: Cancel));
        Assert.Contains("MD5 mismatch: expected 00000000000000000000000000000000, got ec29112d", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "again")));
    }

    [Fact]
    public void Unreachable_host_says_where_it_looked_what_failed_and_how_to_fix_it()
    {
        using var dir = new TempDir();
        var spec = new DatasetSpec.Named(MnistAt(new Uri($"http://127.0.0.1:{LocalHttpServer.ClosedPort()}/")));
        var location = DataLocator.Resolve(dir.Path);
        var ex = Assert.Throws<DataUnavailableException>(
            () => DatasetLoader.Load(spec, location, allowDownload: true, null, 0, 1, cancel: Cancel));
        Assert.StartsWith($"mnist: {string.Join(", ", DatasetCatalog.FileNames)} not found. Looked in " +
            $"{Path.Combine(dir.Path, "mnist")} and {dir.Path} (data root from DataLocator.Resolve(folder))", ex.Message);
        Assert.Contains($"Downloading {spec.Info.UrlOf(DatasetCatalog.TrainImages)} failed: host unreachable",
            ex.Message);
        Assert.Contains("To fix: point DataLocator.Resolve(folder) or DIGITS_DATA at a folder holding " +
            "mnist/train-images-idx3-ubyte.gz", ex.Message);
        Assert.Contains("or download them on a connected machine (DatasetLoader.EnsureFiles with allowDownload) and " +
            "copy its mnist folder here", ex.Message);
        Assert.Equal(ex.Message, $"{ex.Problem} To fix: {ex.Message.Split(" To fix: ")[1]}");
        Assert.Same(spec.Info, ex.Dataset);
        Assert.IsType<DataUnavailableException>(ex.InnerException);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path)); // not even an empty mnist folder
    }

    [Fact]
    public void Download_turned_off_says_so()
    {
        using var dir = new TempDir();
        dir.Write("mnist/train-images-idx3-ubyte.gz", [1]);
        var ex = Assert.Throws<DataUnavailableException>(() => DatasetLoader.Load(
            new DatasetSpec.Named(DatasetCatalog.Mnist), new DataLocation(dir.Path, "DIGITS_DATA"), false, null, 0, 1,
            cancel: Cancel));
        Assert.StartsWith("mnist: train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz " +
            "not found.", ex.Message);
        Assert.Contains("(data root from DIGITS_DATA)", ex.Message);
        Assert.Contains("Downloading is turned off. To fix:", ex.Message);
    }

    [Fact]
    public void Http_error_and_broken_connection_are_reported()
    {
        using var server = new LocalHttpServer(path => path == DatasetCatalog.TestLabels
            ? new Reply(new byte[100], DeclaredLength: 4542) : null);
        using var dir = new TempDir();
        using var downloader = new Downloader();
        var info = MnistAt(server.BaseUrl);
        var missing = Assert.Throws<DataUnavailableException>(
            () => downloader.Download(info, DatasetCatalog.TrainImages, dir.Path, cancel: Cancel));
        Assert.Equal($"downloading {server.BaseUrl}{DatasetCatalog.TrainImages} failed: HTTP 404 Not Found",
            missing.Message);
        var broken = Assert.Throws<DataUnavailableException>(
            () => downloader.Download(info, DatasetCatalog.TestLabels, dir.Path, cancel: Cancel));
        Assert.StartsWith($"downloading {server.BaseUrl}{DatasetCatalog.TestLabels} failed after 100 bytes: ",
            broken.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Server_that_never_answers_times_out()
    {
        using var server = new LocalHttpServer(_ =>
        {
            Thread.Sleep(3000);
            return null;
        }, maxRequests: 1);
        using var dir = new TempDir();
        using var downloader = new Downloader(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.5));
        var ex = Assert.Throws<DataUnavailableException>(() => downloader.Download(MnistAt(server.BaseUrl),
            DatasetCatalog.TestLabels, dir.Path, cancel: Cancel));
        Assert.Equal($"downloading {server.BaseUrl}{DatasetCatalog.TestLabels} failed: timed out (no connection " +
            "within 1 s, or no answer 0.5 s after it)", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Existing_file_with_another_checksum_gives_a_warning_note()
    {
        string source = RealData.Folder("fashion-mnist");
        using var dir = new TempDir();
        foreach (string name in DatasetCatalog.FileNames)
            File.Copy(Path.Combine(source, name), dir.File(name)); // Fashion files, directly in the root
        var files = DatasetLoader.EnsureFiles(DatasetCatalog.Mnist, new DataLocation(dir.Path, "--data"), false,
            cancel: Cancel);
        Assert.Equal(dir.File(DatasetCatalog.TrainImages), files.TrainImages);
        Assert.Contains(files.Notes, n => n.StartsWith($"warning: {dir.File(DatasetCatalog.TrainImages)} does not " +
            "match mnist's published SHA-256", StringComparison.Ordinal));
        Assert.Contains($"using {string.Join(", ", DatasetCatalog.FileNames)} from {dir.Path} itself rather than " +
            $"from {Path.Combine(dir.Path, "mnist")}", files.Notes);
    }

    /// <summary>Records reports synchronously (<see cref="Progress{T}"/> would post them to the thread pool).
    /// </summary>
    private sealed class Recorder(List<DownloadProgress> reports) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => reports.Add(value);
    }
}
