using System.Security.Cryptography;
using System.Text;

namespace Digits.Gpu;

/// <summary>
/// Compiled kernel modules on disk, so the second run starts in milliseconds instead of recompiling.
/// Entries live in <see cref="Directory"/> (by default <c>$XDG_CACHE_HOME/digits/kernels</c> or
/// <c>~/.cache/digits/kernels</c>), one file per <see cref="Key"/>: an 8-byte magic, the payload length,
/// the payload's SHA-256 and the payload. A file that fails any check is deleted and reads as a miss, so a
/// corrupt entry falls back to compiling. Writes go to a temporary file in the same folder, then a rename, so
/// a reader never sees half a file. Caching is best-effort: I/O errors read as misses and skipped writes.
/// </summary>
internal sealed class KernelCache(string directory)
{
    private static readonly byte[] Magic = "DGTKRN01"u8.ToArray();
    private const int HeaderBytes = 8 + 8 + 32;

    /// <summary>The folder entries are kept in.</summary>
    public string Directory { get; } = directory;

    /// <summary>The user's cache folder for Digits' kernels.</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
                root = OperatingSystem.IsWindows()
                    ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "digits", "kernels");
        }
    }

    /// <summary>The cache in <see cref="DefaultDirectory"/>.</summary>
    public static KernelCache Default() => new(DefaultDirectory);

    /// <summary>SHA-256 (hex) of the parts, each length-prefixed so no two lists of parts collide: source,
    /// options, driver version, compiler version.</summary>
    public static string Key(params ReadOnlySpan<string> parts)
    {
        var text = new StringBuilder();
        foreach (string part in parts) text.Append(part.Length).Append(':').Append(part).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The entry's file.</summary>
    public string PathOf(string key) => Path.Combine(Directory, key + ".bin");

    /// <summary>The payload stored under <paramref name="key"/>, or null (missing, unreadable or corrupt; a
    /// corrupt file is deleted).</summary>
    public byte[]? TryRead(string key)
    {
        string path = PathOf(key);
        byte[] file;
        try
        {
            if (!File.Exists(path)) return null;
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (Unpack(file) is { } payload) return payload;
        Delete(key);
        return null;
    }

    /// <summary>Stores <paramref name="payload"/> under <paramref name="key"/> atomically; true when written.</summary>
    public bool Write(string key, ReadOnlySpan<byte> payload)
    {
        string? temporary = null;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            temporary = Path.Combine(Directory, $"{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(Magic);
                Span<byte> length = stackalloc byte[8];
                BitConverter.TryWriteBytes(length, (long)payload.Length);
                stream.Write(length);
                stream.Write(SHA256.HashData(payload));
                stream.Write(payload);
            }
            File.Move(temporary, PathOf(key), overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (temporary is not null)
                try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return false;
        }
    }

    /// <summary>Removes an entry (a module the driver refused to load).</summary>
    public void Delete(string key)
    {
        try
        {
            File.Delete(PathOf(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static byte[]? Unpack(byte[] file)
    {
        if (file.Length < HeaderBytes || !file.AsSpan(0, 8).SequenceEqual(Magic)) return null;
        long length = BitConverter.ToInt64(file, 8);
        if (length != file.Length - HeaderBytes) return null;
        byte[] payload = file[HeaderBytes..];
        return SHA256.HashData(payload).AsSpan().SequenceEqual(file.AsSpan(16, 32)) ? payload : null;
    }
}
