using System.Net.Sockets;
using Digits.Api;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Files;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Imaging;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Files;

/// <summary>
/// Issue 24: every reader opens its file through <see cref="InputFile"/>: a regular file only, its size checked
/// before a byte is read. Before, <c>/dev/zero</c> as an image or a CSV was read until the process held 4 GB and
/// died, and a named pipe blocked the open forever. Each reader here is given a named pipe (under a time limit, so a
/// regression fails instead of hanging the suite), <c>/dev/null</c>, a folder and a socket, and must refuse each at
/// once, naming it; then a sparse file one byte over its bound.
/// </summary>
public sealed class InputFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-inputfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every reader of a file, by name.</summary>
    public static TheoryData<string> Readers => new()
    {
        "InputFile.OpenRead", "InputFile.ReadAllBytes", "ImageDecoder.Decode", "PnmDecoder.Decode",
        "DigitClassifier.LoadImage", "SafeTensors.Read", "ModelFile.Load", "DigitClassifier.Load", "Checkpoint.Load",
        "IdxReader.ReadImages", "IdxReader.ReadLabels", "IdxReader.ReadPair", "CsvDigitReader.Read",
        "CsvDigitReader.ReadUnlabelled",
    };

    private static void Read(string reader, string path)
    {
        switch (reader)
        {
            case "InputFile.OpenRead": InputFile.OpenRead(path, 100, "a test file").Dispose(); break;
            case "InputFile.ReadAllBytes": InputFile.ReadAllBytes(path, 100, "a test file"); break;
            case "ImageDecoder.Decode": ImageDecoder.Decode(path); break;
            case "PnmDecoder.Decode": PnmDecoder.Decode(path); break;
            case "DigitClassifier.LoadImage": DigitClassifier.LoadImage(path); break;
            case "SafeTensors.Read": SafeTensors.Read(path); break;
            case "ModelFile.Load": ModelFile.Load(path); break;
            case "DigitClassifier.Load": DigitClassifier.Load(path, "reference").Dispose(); break;
            case "Checkpoint.Load": Checkpoint.Load(path); break;
            case "IdxReader.ReadImages": IdxReader.ReadImages(path); break;
            case "IdxReader.ReadLabels": IdxReader.ReadLabels(path); break;
            case "IdxReader.ReadPair": IdxReader.ReadPair(path, path, "pair", CsvDigitReader.DigitClassNames); break;
            case "CsvDigitReader.Read": CsvDigitReader.Read(path); break;
            case "CsvDigitReader.ReadUnlabelled": CsvDigitReader.ReadUnlabelled(path); break;
            default: throw new ArgumentException(reader);
        }
    }

    private static InputFileException Refused(string reader, string path, string kind)
    {
        var e = Assert.IsType<InputFileException>(Record.Exception(() => Read(reader, path)));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith($"{path} is {kind}; ", e.Message);
        Assert.EndsWith(" must be a regular file", e.Message);
        return e;
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_named_pipe_is_refused_at_once_without_waiting_for_a_writer(string reader)
    {
        string fifo = Fifo.Make(Path.Combine(_dir, "pipe"));
        var e = Fifo.Within(fifo, reader, () => Refused(reader, fifo, "a named pipe"));
        Assert.Equal(FileKind.NamedPipe, e.Kind);
        // Through a symbolic link too: the kind is the target's.
        string link = Path.Combine(_dir, "to-pipe");
        File.CreateSymbolicLink(link, fifo);
        Fifo.Within(fifo, reader + " (through a link)", () => Refused(reader, link, "a named pipe"));
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_device_a_folder_and_a_socket_are_refused_by_name(string reader)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs /dev/null and Unix sockets (Linux)");
        Assert.Equal(FileKind.CharacterDevice, Refused(reader, "/dev/null", "a character device").Kind);
        Assert.Equal(FileKind.Directory, Refused(reader, _dir, "a folder").Kind);
        string socket = Path.Combine(_dir, "socket");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket));
        Assert.Equal(FileKind.Socket, Refused(reader, socket, "a socket").Kind);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_missing_file_is_FileNotFoundException(string reader) =>
        Assert.IsType<FileNotFoundException>(Record.Exception(() => Read(reader, Path.Combine(_dir, "absent"))));

    /// <summary>Each reader's bound, and a sparse file one byte over it (no disk space used): refused from its size
    /// alone, in well under a second, naming the bound.</summary>
    public static TheoryData<string, long> Bounds => new()
    {
        { "ImageDecoder.Decode", ImageLimits.MaxFileBytes },
        { "CsvDigitReader.Read", CsvDigitReader.MaxFileBytes },
        { "IdxReader.ReadImages", IdxReader.MaxFileBytes },
        { "SafeTensors.Read", SafeTensors.MaxFileBytes },
        { "InputFile.OpenRead", 100 },
    };

    [Theory]
    [MemberData(nameof(Bounds))]
    public void A_file_over_the_readers_bound_is_refused_before_it_is_read(string reader, long bound)
    {
        string path = Path.Combine(_dir, "large");
        using (var file = new FileStream(path, FileMode.Create)) file.SetLength(bound + 1);
        var started = DateTime.UtcNow;
        var e = Assert.IsType<InputFileException>(Record.Exception(() => Read(reader, path)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the size was not checked before reading");
        Assert.Equal(FileKind.Regular, e.Kind);
        Assert.StartsWith($"{path} is {bound + 1:N0} bytes, more than the {bound:N0} ", e.Message);
    }

    [Fact]
    public void A_regular_file_within_the_bound_reads_whole_and_its_stream_seeks()
    {
        string path = Path.Combine(_dir, "data");
        byte[] bytes = Enumerable.Range(0, 100).Select(k => (byte)k).ToArray();
        File.WriteAllBytes(path, bytes);
        Assert.Equal(bytes, InputFile.ReadAllBytes(path, 100, "a test file"));
        using var stream = InputFile.OpenRead(path, 100, "a test file");
        Assert.True(stream.CanSeek);
        stream.Position = 98;
        Assert.Equal(98, stream.ReadByte());
        Assert.Throws<InputFileException>(() => InputFile.ReadAllBytes(path, 99, "a test file"));
    }
}
