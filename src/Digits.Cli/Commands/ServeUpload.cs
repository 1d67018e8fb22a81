using Microsoft.AspNetCore.Http;

namespace Digits.Cli.Commands;

/// <summary>
/// A request body read whole into memory before anything waits for a decoding slot, so a client that sends slowly
/// holds only its connection and the bytes it sent. The buffer grows as bytes arrive (from 64 KB, doubling), never
/// to more than <see cref="ServeLimits.MaxUpload"/>, and every byte of it is counted against the server's
/// <see cref="Budget"/> until the response is done (<see cref="Dispose"/>). Failures are answers, not
/// exceptions: 413 too large, 408 too slow, 400 a malformed body (a bad chunk), 503 over the budget.
/// </summary>
internal sealed class ServeUpload : IDisposable
{
    private const int FirstBuffer = 64 * 1024;

    private readonly Budget _budget;
    private byte[] _buffer = [];
    private long _reserved;

    private ServeUpload(Budget budget) => _budget = budget;

    /// <summary>The bytes received.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

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
        try
        {
            while (true)
            {
                if (Length == _buffer.Length)
                {
                    long size = Math.Min(ServeLimits.MaxUpload, Math.Max(FirstBuffer, 2L * _buffer.Length));
                    if (request.ContentLength is { } declared) size = Math.Min(size, declared);
                    if (size == _buffer.Length) // full: at the declared length or the limit, so the body must end here
                        return await request.Body.ReadAsync(new byte[1], deadline.Token) > 0 ? TooLarge() : null;
                    if (!_budget.Reserve(size - _buffer.Length, ref _reserved))
                        return ServeJson.Error(503, "busy: the server is receiving too many uploads at once; try again");
                    Array.Resize(ref _buffer, (int)size);
                }
                int read = await request.Body.ReadAsync(_buffer.AsMemory(Length), deadline.Token);
                if (read == 0) return null;
                Length += read;
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

    /// <summary>Gives the body's bytes back to the budget.</summary>
    public void Dispose()
    {
        _budget.Release(_reserved);
        _reserved = 0;
        _buffer = [];
    }
}
