using System.Security.Cryptography;

namespace Digits.Core.Data;

/// <summary>SHA-256 / MD5 of files and streams as lower-case hex.</summary>
internal static class Checksums
{
    public static string Name(ChecksumKind kind) => kind == ChecksumKind.Md5 ? "MD5" : "SHA-256";

    public static IncrementalHash Create(ChecksumKind kind) =>
        IncrementalHash.CreateHash(kind == ChecksumKind.Md5 ? HashAlgorithmName.MD5 : HashAlgorithmName.SHA256);

    public static string Hex(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetHashAndReset());

    /// <summary>The checksum of the file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">the file cannot be read.</exception>
    public static string OfFile(string path, ChecksumKind kind)
    {
        using var stream = IdxReader.OpenFile(path);
        return Convert.ToHexStringLower(kind == ChecksumKind.Md5 ? MD5.HashData(stream) : SHA256.HashData(stream));
    }
}
