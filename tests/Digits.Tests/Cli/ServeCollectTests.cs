using System.Net;
using System.Text.Json;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Imaging;
using Digits.Tests.Data;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>digits serve --collect DIR</c>: drawings saved into a folder dataset by class, and what is refused (no
/// page header, a label that is not a class or would leave the folder, a body that is not an image).</summary>
public sealed class ServeCollectTests(QuickModel quick) : IClassFixture<QuickModel>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Drawings_are_saved_by_class_into_a_folder_dataset_the_trainer_reads()
    {
        var cancel = TestContext.Current.CancellationToken;
        string folder = _dir.File("mine");
        var command = new ServeCommand(new ServeVerb { Model = quick.Path, Port = 0, Collect = folder }, TextWriter.Null, TextWriter.Null);
        await using var app = command.Start();
        using var http = new HttpClient { BaseAddress = new Uri(command.Url!) };
        Assert.Contains("<button data-label=\"7\">7</button>", await http.GetStringAsync("/", cancel));
        byte[] seven = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fonts", "7_DejaVu-Sans.png"));

        async Task<(HttpStatusCode Status, JsonElement Json)> Post(string label, byte[] body, bool header = true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/collect?label={Uri.EscapeDataString(label)}")
            {
                Content = new ByteArrayContent(body),
            };
            if (header) request.Headers.Add("X-Digits-Collect", "1");
            using var response = await http.SendAsync(request, cancel);
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel)).RootElement.Clone());
        }

        var (status, json) = await Post("7", seven);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("7/", json.GetProperty("saved").GetString());
        Assert.Equal(1, json.GetProperty("count").GetInt32());
        (status, json) = await Post("7", seven);
        Assert.Equal(2, json.GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await Post("1", seven)).Status);

        Assert.Equal(HttpStatusCode.Forbidden, (await Post("7", seven, header: false)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post("../7", seven)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post("seven", seven)).Status);
        (status, json) = await Post("3", "not an image"u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("the upload: not an image", json.GetProperty("error").GetString());

        var notes = new List<string>();
        var (train, _) = ImageFolderReader.Read(folder, new ImageFolderOptions(new MnistImagePreparer()), notes);
        Assert.Equal(["1", "7"], train.ClassNames);
        Assert.Equal([0, 1, 1], train.Labels);
        Assert.Equal(3, Directory.EnumerateFiles(folder, "*.png", SearchOption.AllDirectories).Count());
    }
}
