using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Digits.Core.Files;

namespace Digits.Core.Model;

/// <summary>One float32 tensor: its shape and row-major data.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data);

/// <summary>
/// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length
/// N, N bytes of JSON mapping each tensor name to {dtype, shape, data_offsets} plus an optional
/// "__metadata__" object of strings, then the raw little-endian tensor bytes. Only F32 is written; F32 is read,
/// and F16 and BF16 (as PyTorch often saves) are read and widened to float32 exactly. Other dtypes are refused.
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header accepted (the format's reference implementation caps it at 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Most "__metadata__" keys accepted. Digits writes about 20; a header of millions (which fit in
    /// <see cref="MaxHeaderBytes"/>) would cost seconds and gigabytes to read.</summary>
    public const int MaxMetadataKeys = 1_000;

    /// <summary>Most "__metadata__" bytes (keys and values as stored) accepted: room for the history of thousands
    /// of epochs.</summary>
    public const int MaxMetadataBytes = 10_000_000;

    /// <summary>Most tensors accepted (a model has two per layer, a checkpoint four).</summary>
    public const int MaxTensors = 10_000;

    /// <summary>Most values one tensor may hold: what one .NET array holds (a model's parameters live in one).</summary>
    public static readonly long MaxTensorValues = Array.MaxLength;

    /// <summary>The largest file read, in bytes: a checkpoint of the largest model Digits trains (2³¹ − 1
    /// parameters, each with Adam's two moments: 3 × 8 GiB) fits with room to spare.</summary>
    public const long MaxFileBytes = 32L << 30;

    /// <summary>Tensor bytes are read and written in pieces of this many, so no span is over 2 GiB.</summary>
    internal const int ChunkBytes = 1 << 24;

    /// <summary>A name given twice (a tensor, or a metadata key) is refused, not silently resolved.</summary>
    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    /// <summary>
    /// Writes the tensors atomically: to a temporary file in the same folder, flushed to disk, then renamed
    /// over <paramref name="path"/> and the folder synced, so a crash leaves the old file or the new one, never
    /// half of one.
    /// </summary>
    /// <exception cref="IOException">the folder cannot be written, or <paramref name="path"/> exists and is not a
    /// regular file (a device, a pipe: never replaced).</exception>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new JsonObject();
        if (metadata.Count > 0)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) meta[key] = value;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var t in tensors)
        {
            long bytes = (long)t.Data.Length * sizeof(float);
            if (t.Shape.Aggregate(1L, (a, d) => a * d) != t.Data.Length)
                throw new ArgumentException($"tensor {t.Name}: shape [{string.Join(',', t.Shape)}] ≠ {t.Data.Length} values");
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces as the spec allows
        string full = Path.GetFullPath(path);
        if (OutputFile.NotARegularFile(full) is { } kind)
            throw new IOException($"{full} is {kind}, not a regular file; Digits writes only regular files and never replaces anything else");
        string temp = OutputFile.TemporaryPath(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (int k = json.Length; k < padded; k++) stream.WriteByte((byte)' ');
                foreach (var t in tensors) WriteFloats(stream, t.Data);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            DirectorySync.Flush(Path.GetDirectoryName(full)!);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Reads every tensor and the metadata, checking the header against the file before allocating. The
    /// file is opened through <see cref="InputFile"/>: a regular file of at most <see cref="MaxFileBytes"/>;
    /// <paramref name="what"/> names its role in that refusal ("a model").</summary>
    /// <exception cref="ModelFormatException">the file is not valid safetensors of F32, F16 or BF16 tensors, or a
    /// tensor holds more than <see cref="MaxTensorValues"/> values.</exception>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="InputFileException">a folder, device, pipe or socket, or larger than
    /// <see cref="MaxFileBytes"/>.</exception>
    public static (List<NamedTensor> Tensors, Dictionary<string, string> Metadata) Read(string path,
        string what = "a safetensors file")
    {
        using var stream = InputFile.OpenRead(path, MaxFileBytes, what);
        long fileLength = stream.Length;
        var headerBytes = ReadHeader(path, stream, fileLength);
        long dataStart = 8 + (long)headerBytes.Length, dataLength = fileLength - dataStart;
        var (entries, metadata) = ParseHeader(path, headerBytes, dataLength);
        RequireContiguous(path, entries, dataLength);
        var tensors = new List<NamedTensor>(entries.Count);
        foreach (var e in entries)
        {
            stream.Position = dataStart + e.Begin;
            tensors.Add(new NamedTensor(e.Name, e.Shape, ReadValues(stream, (e.End - e.Begin) / e.Width, e.DType)));
        }
        return (tensors, metadata);
    }

    /// <summary>One tensor as the header describes it: its bytes [Begin, End) after the header, Width bytes a value.</summary>
    private readonly record struct Entry(string Name, int[] Shape, long Begin, long End, int Width, string DType);

    /// <summary>Reads the 8-byte header length and the header's bytes (valid UTF-8) of a file of
    /// <paramref name="fileLength"/> bytes, leaving <paramref name="stream"/> at the first tensor byte. A file whose ninth byte is not '{' is called not a
    /// safetensors file, naming its first bytes.</summary>
    private static byte[] ReadHeader(string path, Stream stream, long fileLength)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (fileLength < 8 || stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw new ModelFormatException(path, $"file is {fileLength} bytes, too short for a safetensors header");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        // A safetensors file's JSON header starts right after its length: a file whose length does not fit and whose
        // ninth byte is not '{' (a text file, an image) is not a safetensors file at all, and is called that.
        bool jsonFollows = fileLength > 8 && stream.ReadByte() == '{';
        stream.Position = 8;
        string start = Describe(lengthBytes);
        ModelFormatException NotSafetensors() => new(path,
            $"not a safetensors file (one starts with 8 bytes giving the size of its JSON metadata, then '{{'; " +
            $"this one starts with {start})");
        if (headerLength > (ulong)(fileLength - 8))
            throw jsonFollows ? new ModelFormatException(path,
                $"header length {headerLength} is larger than the file ({fileLength} bytes) allows; not a safetensors file or truncated")
                : NotSafetensors();
        if (headerLength > MaxHeaderBytes)
            throw new ModelFormatException(path,
                $"header length {headerLength:N0} bytes is more than the {MaxHeaderBytes:N0} bytes a safetensors header may hold");
        if (!jsonFollows) throw NotSafetensors();
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        if (!Utf8.IsValid(headerBytes)) throw new ModelFormatException(path, "header is not valid UTF-8 text");
        return headerBytes;
    }

    /// <summary>The header's tensor entries (each checked against the <paramref name="dataLength"/> data bytes) and
    /// its "__metadata__" strings, after <see cref="CheckCounts"/>.</summary>
    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] headerBytes,
        long dataLength)
    {
        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        try
        {
            CheckCounts(path, headerBytes);
            // JsonNode reads names and strings lazily, so the walk below can still meet malformed text.
            var header = JsonNode.Parse(headerBytes, documentOptions: StrictJson) as JsonObject
                         ?? throw new ModelFormatException(path, "header is not a JSON object");
            foreach (var (name, node) in header)
            {
                if (name != "__metadata__")
                    entries.Add(ParseEntry(path, name, node, dataLength));
                else if (node is not JsonObject meta)
                    throw new ModelFormatException(path, "__metadata__ is not an object");
                else
                    foreach (var (key, value) in meta)
                        metadata[key] = value is JsonValue v && v.TryGetValue(out string? s)
                            ? s : throw new ModelFormatException(path, $"metadata '{key}' is not a string");
            }
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"header is not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException e) // System.Text.Json's "cannot transcode" for a lone surrogate escape
        {
            throw new ModelFormatException(path, $"header has a string that is not valid text ({e.Message})");
        }
        return (entries, metadata);
    }

    /// <summary>Sorts <paramref name="entries"/> by offset and refuses a gap or an overlap between them, or data
    /// they leave uncovered.</summary>
    private static void RequireContiguous(string path, List<Entry> entries, long dataLength)
    {
        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expected = 0;
        foreach (var e in entries)
        {
            if (e.Begin != expected)
                throw new ModelFormatException(path, $"tensor '{e.Name}' starts at byte {e.Begin}, expected {expected} (gap or overlap)");
            expected = e.End;
        }
        if (expected != dataLength)
            throw new ModelFormatException(path, $"tensors cover {expected} bytes but the file holds {dataLength} after the header");
    }

    /// <summary>Reads <paramref name="count"/> little-endian values of <paramref name="dtype"/> (F32, F16 or BF16,
    /// the last two widened exactly) in pieces of <see cref="ChunkBytes"/>.</summary>
    private static float[] ReadValues(Stream stream, long count, string dtype)
    {
        var data = new float[count];
        int width = dtype == "F32" ? 4 : 2;
        var chunk = new byte[(int)Math.Min(ChunkBytes, count * width)];
        for (long at = 0; at < count;)
        {
            int n = (int)Math.Min(chunk.Length / width, count - at);
            var bytes = chunk.AsSpan(0, n * width);
            stream.ReadExactly(bytes);
            var into = data.AsSpan((int)at, n);
            if (dtype == "F32" && BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(into));
            else if (dtype == "F32")
                for (int k = 0; k < n; k++) into[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * k)..]);
            else if (dtype == "BF16")
                for (int k = 0; k < n; k++)
                    into[k] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * k)..]) << 16);
            else
                for (int k = 0; k < n; k++) into[k] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * k)..]);
            at += n;
        }
        return data;
    }

    /// <summary>
    /// One pass of a forward-only reader over the header, before anything is built from it: refuses more than
    /// <see cref="MaxTensors"/> tensors or metadata beyond <see cref="MaxMetadataKeys"/> keys or
    /// <see cref="MaxMetadataBytes"/> bytes. Anything else odd is left for the full parse to name.
    /// </summary>
    private static void CheckCounts(string path, byte[] header)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { AllowTrailingCommas = false });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
        int tensors = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isMetadata = reader.ValueTextEquals("__metadata__"u8);
            if (!reader.Read()) return;
            if (!isMetadata || reader.TokenType != JsonTokenType.StartObject)
            {
                if (!isMetadata && ++tensors > MaxTensors)
                    throw new ModelFormatException(path, $"header lists more than {MaxTensors:N0} tensors, the most Digits reads");
                reader.Skip();
                continue;
            }
            long keys = 0, bytes = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bytes += reader.ValueSpan.Length;
                if (!reader.Read()) return;
                long start = reader.TokenStartIndex;
                reader.Skip();
                bytes += reader.BytesConsumed - start;
                if (++keys > MaxMetadataKeys)
                    throw new ModelFormatException(path,
                        $"__metadata__ has more than {MaxMetadataKeys:N0} keys, the most Digits reads (a model of its own has about 20)");
                if (bytes > MaxMetadataBytes)
                    throw new ModelFormatException(path,
                        $"__metadata__ holds more than {MaxMetadataBytes:N0} bytes, the most Digits reads");
            }
        }
    }

    /// <summary>
    /// Refuses a tensor holding NaN or infinity, naming it and how many: such a model or checkpoint is damaged
    /// (training refuses to save one), and would predict nonsense without a word.
    /// </summary>
    /// <exception cref="ModelFormatException">a value is not finite.</exception>
    public static void RequireFinite(string path, NamedTensor tensor)
    {
        int bad = 0;
        foreach (float v in tensor.Data)
            if (!float.IsFinite(v)) bad++;
        if (bad > 0)
            throw new ModelFormatException(path, $"tensor '{tensor.Name}' holds {bad:N0} NaN or infinite values " +
                                                 $"(of {tensor.Data.Length:N0}); the file is damaged");
    }

    private static Entry ParseEntry(string path, string name, JsonNode? node, long dataLength)
    {
        if (node is not JsonObject entry) throw new ModelFormatException(path, $"tensor '{name}' is not an object");
        string? dtype = entry["dtype"] is JsonValue d && d.TryGetValue(out string? s) ? s : null;
        int width = dtype switch { "F32" => 4, "F16" or "BF16" => 2, _ => 0 };
        if (width == 0)
            throw new ModelFormatException(path, $"tensor '{name}' has dtype {dtype ?? "(none)"}; Digits reads F32, and F16 " +
                                                 "or BF16 widened to F32 (convert others, e.g. with tensor.float() in PyTorch)");
        if (entry["shape"] is not JsonArray shapeArray || entry["data_offsets"] is not JsonArray offsets || offsets.Count != 2)
            throw new ModelFormatException(path, $"tensor '{name}' needs a shape array and two data_offsets");
        var shape = new int[shapeArray.Count];
        long elements = 1;
        for (int k = 0; k < shape.Length; k++)
        {
            if (shapeArray[k] is not JsonValue sv || !sv.TryGetValue(out long dim) || dim < 0 || dim > int.MaxValue)
                throw new ModelFormatException(path, $"tensor '{name}' has an invalid shape");
            shape[k] = (int)dim;
            elements = checked(elements * Math.Max(dim, 1)) * (dim == 0 ? 0 : 1);
            if (elements > dataLength) throw new ModelFormatException(path, $"tensor '{name}' shape is larger than the file");
        }
        if (elements > MaxTensorValues)
            throw new ModelFormatException(path, $"tensor '{name}' (shape [{string.Join(',', shape)}]) holds {elements:N0} " +
                                                 $"values, more than the {MaxTensorValues:N0} one tensor may hold");
        if (offsets[0] is not JsonValue bv || !bv.TryGetValue(out long begin) ||
            offsets[1] is not JsonValue ev || !ev.TryGetValue(out long end) || begin < 0 || end < begin || end > dataLength)
            throw new ModelFormatException(path, $"tensor '{name}' has data_offsets outside the {dataLength} data bytes");
        if (end - begin != elements * width)
            throw new ModelFormatException(path,
                $"tensor '{name}' (dtype {dtype}, shape [{string.Join(',', shape)}]) needs {elements * width} bytes, its offsets span {end - begin}");
        return new Entry(name, shape, begin, end, width, dtype!);
    }

    /// <summary>Writes <paramref name="data"/> as little-endian F32 in pieces of <see cref="ChunkBytes"/>.</summary>
    private static void WriteFloats(Stream stream, float[] data)
    {
        var chunk = new byte[Math.Min(ChunkBytes, 4L * data.Length)];
        for (long at = 0; at < data.Length;)
        {
            int n = (int)Math.Min(chunk.Length / 4, data.Length - at);
            var from = data.AsSpan((int)at, n);
            if (BitConverter.IsLittleEndian) stream.Write(MemoryMarshal.AsBytes(from));
            else
            {
                for (int k = 0; k < n; k++) BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * k), from[k]);
                stream.Write(chunk, 0, 4 * n);
            }
            at += n;
        }
    }

    /// <summary>A file's first bytes for an error message: quoted text when printable ASCII, else hex.</summary>
    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            if (b is < 0x20 or > 0x7e) return Convert.ToHexString(bytes);
        return $"\"{System.Text.Encoding.ASCII.GetString(bytes)}\"";
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
