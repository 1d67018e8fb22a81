using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>POST /predict</c> of <c>digits serve</c>: an image file's bytes in (any format <see cref="ImageDecoder"/>
/// reads; the page sends its canvas as PNG, and a file's name percent-encoded in <c>X-File-Name</c>), JSON out:
/// predicted, probabilities (ten), field (the 28×28 input, 784 levels); or problem (no digit found) and field; or
/// error (HTTP 4xx/5xx; never a stack trace). The body is read whole first (<see cref="ServeUpload"/>), then the
/// request waits for a decoding slot (<see cref="ServeLimits.DecodeSlots"/>), then the image is decoded shrunk to
/// <see cref="ServeLimits.DecodeSide"/> and classified by the one batch-1 network, one request at a time.
/// </summary>
internal sealed class PredictEndpoint(InferenceNetwork network, ServeUpload.Budget uploads, SemaphoreSlim decodeSlots,
    TextWriter stderr)
{
    private readonly Lock _model = new();

    public void Map(WebApplication app) => app.MapPost("/predict", Predict);

    private async Task<IResult> Predict(HttpRequest request)
    {
        var aborted = request.HttpContext.RequestAborted;
        using var upload = await ServeUpload.Read(request, uploads);
        if (upload.Refusal is { } refusal) return refusal;
        if (upload.Length == 0) return ServeJson.Error(400, "no image was sent");
        if (!await decodeSlots.WaitAsync(ServeLimits.SlotWait, aborted))
            return ServeJson.Error(503, "busy: too many images at once; try again");
        try
        {
            return Classify(upload.Bytes, ServeJson.CleanFileName(request.Headers["X-File-Name"]));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stderr.WriteLine($"digits serve: {e.GetType().Name}: {ServeJson.Printable(e.Message, 300)}");
            return ServeJson.Error(500, "the server failed on this image");
        }
        finally
        {
            decodeSlots.Release();
        }
    }

    private IResult Classify(ReadOnlySpan<byte> file, string name)
    {
        PreparedDigit prepared;
        try
        {
            prepared = MnistPreprocessor.Prepare(ImageDecoder.Decode(file, name, ServeLimits.DecodeSide));
        }
        catch (DataFormatException e)
        {
            return ServeJson.Error(400, e.Message);
        }
        var field = prepared.Field.Select(v => Math.Round(v, 3));
        if (prepared.Problem is { } problem) return ServeJson.Ok(new { problem, field });
        float[] probabilities;
        lock (_model)
            probabilities = network.Probabilities(prepared.Field)[0];
        int best = Array.IndexOf(probabilities, probabilities.Max());
        return ServeJson.Ok(new { predicted = best, probabilities = probabilities.Select(p => Math.Round(p, 5)), field });
    }
}
