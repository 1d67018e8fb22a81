using Digits.Core.Backends;
using Xunit;

namespace Digits.Tests.Support;

/// <summary>
/// Places test tensors on a backend inside padded buffers (a few sentinel elements before and after,
/// at a non-zero offset, 5 unless asked) so every op is exercised through views with offsets, and writes outside a
/// destination are caught. Disposes what it allocated.
/// </summary>
public sealed class Rig(IBackend backend) : IDisposable
{
    private const int Pad = 5;
    private const float FloatSentinel = -12345.625f;
    private const int IntSentinel = -777;
    private readonly List<IDisposable> _owned = [];
    private readonly List<Action> _sentinelChecks = [];

    public IBackend Backend { get; } = backend;

    public BufferView<float> Put(ReadOnlySpan<float> data, string name = "tensor") => Put(data, Pad, name);

    /// <summary>As <see cref="Put(ReadOnlySpan{float}, string)"/> with the view at element
    /// <paramref name="offset"/> of its buffer (sentinels fill the <paramref name="offset"/> elements before it
    /// and <see cref="Pad"/> after): for ops whose code path depends on a view's alignment.</summary>
    public BufferView<float> Put(ReadOnlySpan<float> data, int offset, string name = "tensor")
    {
        var buffer = Backend.Allocate<float>(data.Length + offset + Pad);
        _owned.Add(buffer);
        var host = new float[buffer.Length];
        Array.Fill(host, FloatSentinel);
        data.CopyTo(host.AsSpan(offset));
        Backend.Upload<float>(host, buffer.View());
        int length = data.Length;
        _sentinelChecks.Add(() =>
        {
            var back = new float[buffer.Length];
            Backend.Download(buffer.View(), back);
            for (int k = 0; k < offset; k++)
                Assert.True(back[k] == FloatSentinel, $"{name}: element before the view was overwritten");
            for (int k = 0; k < Pad; k++)
                Assert.True(back[offset + length + k] == FloatSentinel, $"{name}: element after the view was overwritten");
        });
        return buffer.View(offset, data.Length);
    }

    public BufferView<int> Put(ReadOnlySpan<int> data, string name = "tensor")
    {
        var buffer = Backend.Allocate<int>(data.Length + 2 * Pad);
        _owned.Add(buffer);
        var host = new int[buffer.Length];
        Array.Fill(host, IntSentinel);
        data.CopyTo(host.AsSpan(Pad));
        Backend.Upload<int>(host, buffer.View());
        int length = data.Length;
        _sentinelChecks.Add(() =>
        {
            var back = new int[buffer.Length];
            Backend.Download(buffer.View(), back);
            for (int k = 0; k < Pad; k++)
            {
                Assert.True(back[k] == IntSentinel, $"{name}: element before the view was overwritten");
                Assert.True(back[Pad + length + k] == IntSentinel, $"{name}: element after the view was overwritten");
            }
        });
        return buffer.View(Pad, data.Length);
    }

    public float[] Take(BufferView<float> view)
    {
        var host = new float[view.Length];
        Backend.Download(view, host);
        return host;
    }

    public int[] Take(BufferView<int> view)
    {
        var host = new int[view.Length];
        Backend.Download(view, host);
        return host;
    }

    /// <summary>Asserts that no op wrote outside its views.</summary>
    public void AssertNoStrayWrites()
    {
        foreach (var check in _sentinelChecks) check();
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }
}

/// <summary>Seeded test data.</summary>
public static class TestData
{
    public static float[] Uniform(Random random, int length, float low = -1f, float high = 1f)
    {
        var data = new float[length];
        for (int k = 0; k < length; k++) data[k] = low + (high - low) * random.NextSingle();
        return data;
    }

    public static int[] Labels(Random random, int length, int classes)
    {
        var data = new int[length];
        for (int k = 0; k < length; k++) data[k] = random.Next(classes);
        return data;
    }
}
