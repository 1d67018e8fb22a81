using Digits.Core.Backends;
using Digits.Cpu;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Digits.Tests.Support;

/// <summary>
/// One backend instance per device for the whole test run (GPU backends compile their kernels once).
/// A device that cannot be created makes its tests skip with the reason — except <c>ilgpu-cpu</c> when CI=true,
/// where a missing backend fails: ILGPU's CPU accelerator runs the GPU kernels on every machine, so they always run
/// in CI.
/// </summary>
public static class TestBackends
{
    private static readonly Dictionary<string, (IBackend? Backend, string Reason)> Cache = new();
    private static readonly Lock Gate = new();

    /// <summary>The devices CI must have.</summary>
    public static bool RequiredInCi(string device) => device == "ilgpu-cpu";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true",
        StringComparison.OrdinalIgnoreCase);

    /// <summary>The shared backend for <paramref name="device"/>, or a skip (or, in CI for a required device, a
    /// failure) carrying the reason it is unavailable.</summary>
    public static IBackend Get(string device)
    {
        (IBackend? backend, string reason) entry;
        lock (Gate)
        {
            if (!Cache.TryGetValue(device, out entry))
            {
                entry = Create(device);
                Cache[device] = entry;
            }
        }
        if (entry.backend is not null) return entry.backend;
        if (IsCi && RequiredInCi(device))
            Assert.Fail($"{device} backend is required when CI=true but unavailable: {entry.reason}");
        Assert.Skip($"{device} backend unavailable: {entry.reason}");
        return null!;
    }

    /// <summary>A fresh backend the caller disposes, or a skip as in <see cref="Get"/>.</summary>
    public static IBackend CreateFresh(string device)
    {
        var (backend, reason) = Create(device);
        if (backend is not null) return backend;
        if (IsCi && RequiredInCi(device))
            Assert.Fail($"{device} backend is required when CI=true but unavailable: {reason}");
        Assert.Skip($"{device} backend unavailable: {reason}");
        return null!;
    }

    private static (IBackend?, string) Create(string device) => device switch
    {
        "reference" => (new ReferenceBackend(), ""),
        _ => TestBackendFactories.Create(device),
    };
}
