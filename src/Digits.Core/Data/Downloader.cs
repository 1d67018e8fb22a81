using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Digits.Core.Data;

/// <summary>Progress of one download: <paramref name="BytesDone"/> of <paramref name="TotalBytes"/> (null when the
/// server sends no length) for <paramref name="FileName"/>; <paramref name="Elapsed"/> since the request started, so a
/// caller can show a rate (bytes/s = BytesDone / Elapsed.TotalSeconds).</summary>
public readonly record struct DownloadProgress(string FileName, long BytesDone, long? TotalBytes, TimeSpan Elapsed);

/// <summary>
/// Downloads a dataset's published files over HTTP(S) and verifies them. Each file streams to
/// <c>&lt;file&gt;.partial-&lt;random&gt;</c> in the destination folder while its checksum is computed; only a file
/// whose checksum matches the catalog is renamed (atomically, replacing any old copy) to its published name. On any
/// failure the temporary file is deleted, so a folder never holds a partial or unverified file under a real name;
/// the destination folder is created only once the server answers, and removed again if it stays empty.
/// <para>Timeouts: <see cref="ConnectTimeout"/> to connect, <see cref="StallTimeout"/> with no bytes received; no
/// limit on a download that keeps moving. A response over <see cref="MaxFileBytes"/> is refused.</para>
/// </summary>
public sealed class Downloader : IDisposable
{
    /// <summary>The largest file accepted, in bytes (the largest published file is 26 MB).</summary>
    public const long MaxFileBytes = 256L << 20;

    private readonly HttpClient _http;

    /// <param name="connectTimeout">Time to establish a connection; default 30 s.</param>
    /// <param name="stallTimeout">Time without receiving any byte before giving up; default 60 s.</param>
    public Downloader(TimeSpan? connectTimeout = null, TimeSpan? stallTimeout = null)
    {
        ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(30);
        StallTimeout = stallTimeout ?? TimeSpan.FromSeconds(60);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None, // keep the .gz bytes the checksums are of
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("digits/1.0");
    }

    public TimeSpan ConnectTimeout { get; }
    public TimeSpan StallTimeout { get; }

    /// <summary>Downloads <paramref name="fileName"/> of <paramref name="info"/> from
    /// <see cref="DatasetInfo.UrlOf"/> into <paramref name="folder"/> (created if missing), verifies its checksum
    /// and returns its final path. Progress is reported on the calling thread after each read.</summary>
    /// <exception cref="DataUnavailableException">the host is unreachable, the connection times out or breaks, the
    /// server answers with an error status or too much data, the folder cannot be written, or the checksum does not
    /// match ("…: SHA-256 mismatch: expected …, got …; the download was corrupted or the mirror changed").</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public string Download(DatasetInfo info, string fileName, string folder,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default) =>
        DownloadAsync(info, fileName, folder, progress, cancel).GetAwaiter().GetResult();

    /// <summary>As <see cref="Download"/>, asynchronously.</summary>
    public async Task<string> DownloadAsync(DatasetInfo info, string fileName, string folder,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        string expected = info.File(fileName).Checksum;
        Uri url = info.UrlOf(fileName);
        string target = Path.Combine(folder, fileName);
        string temp = $"{target}.partial-{RandomNumberGenerator.GetHexString(8, lowercase: true)}";
        bool folderExisted = Directory.Exists(folder);
        try
        {
            string actual = await FetchAsync(url, temp, info.ChecksumKind, fileName, progress, cancel)
                .ConfigureAwait(false);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new DataUnavailableException($"{fileName}: {info.ChecksumName} mismatch: expected {expected}, " +
                    $"got {actual}; the download was corrupted or the mirror changed ({url})");
            File.Move(temp, target, overwrite: true);
            return target;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataUnavailableException($"could not write {target}: {ex.Message}", ex);
        }
        finally
        {
            TryDelete(temp);
            if (!folderExisted && !File.Exists(target)) TryDeleteEmptyFolder(folder);
        }
    }

    /// <summary>Streams <paramref name="url"/> into <paramref name="temp"/>; returns the checksum of the bytes.
    /// </summary>
    private async Task<string> FetchAsync(Uri url, string temp, ChecksumKind kind, string fileName,
        IProgress<DownloadProgress>? progress, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        long done = 0;
        bool answered = false;
        try
        {
            stall.CancelAfter(ConnectTimeout + StallTimeout);
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token)
                .ConfigureAwait(false);
            answered = true;
            if (!response.IsSuccessStatusCode)
                throw new DataUnavailableException(
                    $"downloading {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            long? total = response.Content.Headers.ContentLength;
            if (total > MaxFileBytes) throw TooLarge(url, total.Value);
            using var hash = Checksums.Create(kind);
            await using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(temp)!); // only once the server has the file
            await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16,
                useAsync: true);
            var buffer = new byte[1 << 16];
            progress?.Report(new(fileName, 0, total, clock.Elapsed));
            while (true)
            {
                stall.CancelAfter(StallTimeout);
                int got = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                if (got == 0) break;
                done += got;
                if (done > MaxFileBytes) throw TooLarge(url, done);
                hash.AppendData(buffer, 0, got);
                await file.WriteAsync(buffer.AsMemory(0, got), stall.Token).ConfigureAwait(false);
                progress?.Report(new(fileName, done, total, clock.Elapsed));
            }
            return Checksums.Hex(hash);
        }
        catch (HttpRequestException ex)
        {
            bool unreachable = ex.InnerException is SocketException
                || ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;
            string what = unreachable ? "host unreachable" : "request failed";
            throw new DataUnavailableException($"downloading {url} failed: {what} ({ex.Message})", ex);
        }
        catch (OperationCanceledException ex) when (!cancel.IsCancellationRequested)
        {
            string what = answered ? $"no data for {StallTimeout.TotalSeconds:0.#} s after {done} bytes"
                : $"no connection within {ConnectTimeout.TotalSeconds:0.#} s, or no answer " +
                  $"{StallTimeout.TotalSeconds:0.#} s after it";
            throw new DataUnavailableException($"downloading {url} failed: timed out ({what})", ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException)
        {
            throw new DataUnavailableException($"downloading {url} failed after {done} bytes: {ex.Message}", ex);
        }
    }

    private static DataUnavailableException TooLarge(Uri url, long bytes) =>
        new($"downloading {url} failed: the server sent {bytes} bytes, more than the {MaxFileBytes} accepted " +
            "(not a dataset file?)");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteEmptyFolder(string path)
    {
        try { Directory.Delete(path, recursive: false); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose() => _http.Dispose();
}
