using System.Globalization;
using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits serve --collect DIR</c>: the page gets a "save as" button per class of the model, and <c>POST
/// /collect?label=NAME</c> writes the drawing (or photo) it is sent into the folder dataset DIR, as
/// <c>DIR/NAME/&lt;UTC time&gt;.&lt;ext&gt;</c>, atomically. So ten drawings of each digit and <c>digits train --init
/// MODEL --dataset folder:DIR</c> fine-tune a model on one's own handwriting with no other tool. The request must carry
/// the header <c>X-Digits-Collect: 1</c>, which a page of another site cannot send without a CORS preflight this server
/// never grants, so no other page can write files here; the label must be one of the model's class names and the body
/// an image that decodes.
/// </summary>
internal static class ServeCollect
{
    private const string Header = "X-Digits-Collect";

    /// <summary>Maps <c>POST /collect</c> onto <paramref name="app"/>, saving into <paramref name="folder"/>. The body
    /// is read under the server's upload budget before a decode slot is taken, as for <c>/predict</c>.</summary>
    /// <exception cref="UsageException">the folder cannot be created.</exception>
    public static void Map(WebApplication app, string folder, IReadOnlyList<string> classNames,
        ServeUpload.Budget uploads, SemaphoreSlim decodeSlots)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--collect: cannot create {folder} ({OutputFile.Reason(e)})");
        }
        app.MapPost("/collect", (HttpRequest request) => Save(request, folder, classNames, uploads, decodeSlots));
    }

    /// <summary>The page's buttons and their script, added before the page's closing body tag.</summary>
    public static string Page(IReadOnlyList<string> classNames) => $$"""
        <div id="collect" style="margin:8px 0">Save the drawing as:
        {{string.Concat(classNames.Select((n, k) => $"<button data-label=\"{System.Net.WebUtility.HtmlEncode(n)}\">{System.Net.WebUtility.HtmlEncode(n)}</button> "))}}
        <span id="saved"></span></div>
        <script>
        for (const b of document.querySelectorAll('#collect button')) b.addEventListener('click', async () => {
          const blob = await new Promise(r => document.getElementById('pad').toBlob(r, 'image/png'));
          const response = await fetch('/collect?label=' + encodeURIComponent(b.dataset.label),
            { method: 'POST', body: blob, headers: { '{{Header}}': '1' } });
          const result = await response.json();
          document.getElementById('saved').textContent = result.error ?? ('saved ' + result.saved + ' (' + result.count + ' of ' + b.dataset.label + ')');
        });
        </script>
        """;

    private static async Task<IResult> Save(HttpRequest request, string folder, IReadOnlyList<string> classNames,
        ServeUpload.Budget uploads, SemaphoreSlim decodeSlots)
    {
        if (request.Headers[Header] != "1") return ServeJson.Error(403, $"missing the {Header} header the page sends");
        string? label = request.Query["label"];
        if (label is null || !classNames.Contains(label) || label is "." or ".." || label.IndexOfAny(['/', '\\', '\0']) >= 0)
            return ServeJson.Error(400, $"label must be one of the model's classes ({ImageFolderLayout.List(classNames)})");
        using var upload = await ServeUpload.Read(request, uploads);
        if (upload.Refusal is { } refusal) return refusal;
        if (upload.Length == 0) return ServeJson.Error(400, "no image was sent");
        if (!await decodeSlots.WaitAsync(ServeLimits.SlotWait, request.HttpContext.RequestAborted))
            return ServeJson.Error(503, "busy: too many images at once; try again");
        try
        {
            ImageDecoder.Decode(upload.Bytes, "the upload", ServeLimits.DecodeSide); // saved only if it decodes
        }
        catch (DataFormatException e)
        {
            return ServeJson.Error(400, e.Message);
        }
        finally
        {
            decodeSlots.Release();
        }
        byte[] bytes = upload.Bytes.ToArray();
        string classFolder = Directory.CreateDirectory(Path.Combine(folder, label)).FullName;
        string name = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fffffff", CultureInfo.InvariantCulture) + Extension(bytes);
        OutputFile.WriteAllBytes(Path.Combine(classFolder, name), bytes);
        int count = Directory.EnumerateFiles(classFolder).Count(f => !Path.GetFileName(f).StartsWith('.'));
        return ServeJson.Ok(new { saved = $"{label}/{name}", count });
    }

    /// <summary>The file-name extension of the image's format (the folder reader picks images by it).</summary>
    private static string Extension(ReadOnlySpan<byte> image) => image switch
    {
        [0x89, (byte)'P', ..] => ".png",
        [0xFF, 0xD8, ..] => ".jpg",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', ..] => ".webp",
        [(byte)'G', (byte)'I', (byte)'F', ..] => ".gif",
        [(byte)'B', (byte)'M', ..] => ".bmp",
        [(byte)'P', (byte)'1' or (byte)'4', ..] => ".pbm",
        [(byte)'P', ..] => ".pgm",
        _ => ".ico",
    };
}
