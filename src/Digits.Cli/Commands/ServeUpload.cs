using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;

namespace Digits.Cli.Commands;

/// <summary>
/// A request body read whole into memory before anything waits for a decoding slot, so a client that sends slowly
/// holds only its connection and the bytes it sent. The bytes go into native memory that grows as they arrive (from
/// 64 KB, doubling, never past <see cref="ServeLimits.MaxUpload"/>) and is freed by <see cref="Dispose"/>, so no
/// upload leaves garbage on the managed heap for the collector to keep; every byte of it counts against the server's
/// <see cref="Budget"/> until then. Failures are answers, not exceptions: 413 too large, 408 too slow, 400 a malformed
/// body (a bad chunk), 503 over the budget.
/// </summary>
internal sealed class ServeUpload : IDisposable
{
    private const int FirstBuffer = 64 * 1024;

    private readonly Budget _budget;
    private unsafe byte* _bytes;
    private long _capacity, _reserved;

    private ServeUpload(Budget budget) => _budget = budget;

    /// <summary>The bytes received (valid until <see cref="Dispose"/>).</summary>
    public unsafe ReadOnlySpan<byte> Bytes => new(_bytes, Length);

    public int Length { get; private set; }

    /// <summary>Why the body was refused, as the answer to send; null when it was read whole.</summary>
    public IResult? Refusal { get; private set; }

    /// <summary>Reads <paramref name="request"/>'s body whole, or says why not in <see cref="Refusal"/>.</summary>
    /// <exception cref="OperationCanceledException">the client went away.</exception>
    public static async Task<ServeUpload> Read(HttpRequest request, Budget budget)
    {
        var upload = new ServeUpload(budget);
        try
        {
            upload.Refusal = await upload.Receive(request);
        }
        catch
        {
            upload.Dispose();
            throw;
        }
        return upload;
    }

    private async Task<IResult?> Receive(HttpRequest request)
    {
        var aborted = request.HttpContext.RequestAborted;
        if (request.ContentLength > ServeLimits.MaxUpload) return TooLarge();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(ServeLimits.BodyTimeout);
        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(deadline.Token);
                var refusal = Append(result.Buffer, request.ContentLength);
                reader.AdvanceTo(result.Buffer.End);
                if (refusal is not null || result.IsCompleted) return refusal;
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            return e.StatusCode switch
            {
                413 => TooLarge(),
                408 => ServeJson.Error(408, $"the upload was too slow (under {ServeLimits.MinBodyRate} bytes/s)"),
                _ => ServeJson.Error(400, $"the request body is malformed: {e.Message.TrimEnd('.')}"),
            };
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return ServeJson.Error(408, $"the upload took longer than {ServeLimits.BodyTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Copies <paramref name="received"/> after the bytes so far, growing the buffer (to at most the
    /// declared length); a refusal when the body is too large or the budget has no room.</summary>
    private unsafe IResult? Append(ReadOnlySequence<byte> received, long? declared)
    {
        long needed = Length + received.Length;
        if (needed > ServeLimits.MaxUpload) return TooLarge();
        if (needed > _capacity)
        {
            long capacity = Math.Min(ServeLimits.MaxUpload, Math.Max(needed, Math.Max(FirstBuffer, 2 * _capacity)));
            if (declared is { } d) capacity = Math.Min(capacity, Math.Max(d, needed));
            if (!_budget.Reserve(capacity - _capacity, ref _reserved))
                return ServeJson.Error(503, "busy: the server is receiving too many uploads at once; try again");
            _bytes = (byte*)NativeMemory.Realloc(_bytes, (nuint)capacity);
            _capacity = capacity;
        }
        received.CopyTo(new Span<byte>(_bytes + Length, (int)received.Length));
        Length = (int)needed;
        return null;
    }

    private static IResult TooLarge() =>
        ServeJson.Error(413, $"the image is larger than {ServeLimits.MaxUpload / (1024 * 1024)} MB");

    /// <summary>The bytes of bodies one server holds at once, at most <see cref="ServeLimits.BodyBudget"/>.</summary>
    public sealed class Budget
    {
        private long _held;

        /// <summary>Bytes held now.</summary>
        public long Held => Interlocked.Read(ref _held);

        /// <summary>Takes <paramref name="bytes"/> more, adding them to <paramref name="reserved"/>; false (taking
        /// nothing) when that would go past the budget.</summary>
        public bool Reserve(long bytes, ref long reserved)
        {
            if (Interlocked.Add(ref _held, bytes) > ServeLimits.BodyBudget)
            {
                Interlocked.Add(ref _held, -bytes);
                return false;
            }
            reserved += bytes;
            return true;
        }

        public void Release(long bytes) => Interlocked.Add(ref _held, -bytes);
    }

    /// <summary>Frees the bytes and gives them back to the budget.</summary>
    public unsafe void Dispose()
    {
        NativeMemory.Free(_bytes);
        _bytes = null;
        _capacity = Length = 0;
        _budget.Release(_reserved);
        _reserved = 0;
    }
}
