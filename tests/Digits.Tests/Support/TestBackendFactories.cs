using Digits.Core.Backends;

namespace Digits.Tests.Support;

/// <summary>How the tests create each non-reference backend. Each backend adds its line here.</summary>
internal static class TestBackendFactories
{
    public static (IBackend?, string) Create(string device) => device switch
    {
        _ => (null, $"no backend named '{device}' is built"),
    };
}
