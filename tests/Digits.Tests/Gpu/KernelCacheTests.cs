using Digits.Gpu;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>The compiled-kernel disk cache: round trip, atomic writes, corrupt entries read as misses.</summary>
public sealed class KernelCacheTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"digits-cache-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void What_is_written_reads_back_and_no_temporary_file_is_left()
    {
        var cache = new KernelCache(_folder);
        string key = KernelCache.Key("source", "--gpu-architecture=sm_90", "13000", "NVRTC 13.0");
        Assert.Null(cache.TryRead(key));
        byte[] payload = [1, 2, 3, 0, 255, 7];
        Assert.True(cache.Write(key, payload));
        Assert.Equal(payload, cache.TryRead(key));
        Assert.True(cache.Write(key, [9])); // overwrite in place
        Assert.Equal([9], cache.TryRead(key));
        Assert.Equal([cache.PathOf(key)], Directory.GetFiles(_folder));
    }

    [Theory]
    [InlineData("flip a payload byte")]
    [InlineData("truncate")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public void A_corrupt_entry_reads_as_a_miss_and_is_deleted(string damage)
    {
        var cache = new KernelCache(_folder);
        string key = KernelCache.Key("x");
        cache.Write(key, Enumerable.Range(0, 100).Select(k => (byte)k).ToArray());
        string path = cache.PathOf(key);
        byte[] file = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip a payload byte": file[^3] ^= 0x40; break;
            case "truncate": file = file[..^10]; break;
            case "garbage": file = "not a kernel module at all, just text"u8.ToArray(); break;
            default: file = []; break;
        }
        File.WriteAllBytes(path, file);
        Assert.Null(cache.TryRead(key));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Keys_differ_when_any_part_differs_and_parts_do_not_run_together()
    {
        string key = KernelCache.Key("source", "options", "13000", "NVRTC 13.0");
        Assert.Equal(key, KernelCache.Key("source", "options", "13000", "NVRTC 13.0"));
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.NotEqual(key, KernelCache.Key("source ", "options", "13000", "NVRTC 13.0"));
        Assert.NotEqual(key, KernelCache.Key("source", "options", "12080", "NVRTC 13.0"));
        Assert.NotEqual(key, KernelCache.Key("source", "options", "13000", "NVRTC 12.8"));
        Assert.NotEqual(KernelCache.Key("ab", "c"), KernelCache.Key("a", "bc"));
    }

    [Fact]
    public void An_unwritable_folder_makes_writes_best_effort()
    {
        File.WriteAllText(_folder, "a file where the folder should be");
        try
        {
            var cache = new KernelCache(_folder);
            Assert.False(cache.Write(KernelCache.Key("x"), [1]));
            Assert.Null(cache.TryRead(KernelCache.Key("x")));
        }
        finally
        {
            File.Delete(_folder);
        }
    }

    [Fact]
    public void The_default_folder_is_under_the_users_cache_folder()
    {
        string folder = KernelCache.DefaultDirectory;
        Assert.EndsWith(Path.Combine("digits", "kernels"), folder);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) Assert.StartsWith(xdg, folder);
        else if (!OperatingSystem.IsWindows()) Assert.Contains(Path.Combine(".cache", "digits"), folder);
    }
}
