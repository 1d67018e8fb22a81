using System.Diagnostics;
using System.IO.Compression;
using Xunit;

namespace Digits.Tests.Support;

/// <summary>What one format's mutation run did: cases tried, how many loaded (and passed the sanity check) and how
/// many were rejected with the expected exception, the time taken, what stopped it, and the most common rejections.
/// </summary>
public sealed record MutationReport(string Format, int Seed, int Tried, int Loaded, int Rejected, TimeSpan Elapsed,
    string StoppedBy, long LargestAllocation, IReadOnlyList<(string Problem, int Count)> TopRejections)
{
    public override string ToString() =>
        $"{Format}: {Tried} tried, {Loaded} loaded, {Rejected} rejected in {Elapsed.TotalSeconds:0.00} s " +
        $"(seed {Seed}, stopped by {StoppedBy}; largest allocation {LargestAllocation:N0} bytes)";
}

/// <summary>Bounds and checks of a <see cref="MutationRun"/>. Counts and times can be raised from the environment
/// for a long fuzzing session: DIGITS_MUTATIONS (cases per format), DIGITS_MUTATION_SECONDS (budget per format),
/// DIGITS_MUTATION_SEED.</summary>
public sealed record MutationOptions
{
    public int Seed { get; init; } = EnvInt("DIGITS_MUTATION_SEED") ?? 1;

    /// <summary>At most this many cases…</summary>
    public int MaxCases { get; init; } = Cases(3000);

    /// <summary>…or this much wall-clock time, whichever comes first.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(EnvInt("DIGITS_MUTATION_SECONDS") ?? 2);

    /// <summary>One case taking longer than this fails as a hang (generous: this machine is shared and small).
    /// </summary>
    public TimeSpan CaseLimit { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Turns the (mutated) bytes of a source into the file to load — gzip them, recompute PNG CRCs, wrap
    /// scanlines in a PNG made for that source…; null: load them as they are.</summary>
    public Func<byte[], MutationSource, byte[]>? Encode { get; init; }

    /// <summary>The most bytes a load of this file may allocate; default <see cref="MutationRun.DefaultBound"/>.
    /// </summary>
    public Func<byte[], long>? AllocationBound { get; init; }

    /// <summary>Sanity checks on what a mutated file loaded as (throw, e.g. with Assert, when it is not sane); gets
    /// the result and the file's bytes.</summary>
    public Action<object?, byte[]>? Check { get; init; }

    /// <summary><paramref name="cases"/>, or DIGITS_MUTATIONS when set: for a run that wants fewer cases than
    /// the default and still follows the environment.</summary>
    public static int Cases(int cases) => EnvInt("DIGITS_MUTATIONS") ?? cases;

    private static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : null;
}

/// <summary>
/// Feeds a loader thousands of mutated files (<see cref="Mutator"/>) and requires each either to load — and then
/// pass <see cref="MutationOptions.Check"/> — or to throw exactly the expected exception type with a message that
/// names the file; anything else fails the test with the case's description (seed and index, to replay it with
/// <see cref="Mutator.Mutate"/>), and the offending file is kept under <see cref="FailureFolder"/>. Every load is
/// also bounded in allocation (measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> on the loading thread)
/// and in time (<see cref="MutationOptions.CaseLimit"/>). The counts go to the test output and to
/// <see cref="CountsFolder"/>/FORMAT.txt.
/// </summary>
public static class MutationRun
{
    /// <summary>Where each format's last counts are written, one file per format.</summary>
    public static string CountsFolder { get; } = Path.Combine(Path.GetTempPath(), "digits-mutation");

    /// <summary>Where a failing case's bytes are kept.</summary>
    public static string FailureFolder { get; } = Path.Combine(CountsFolder, "failures");

    private const long Slack = 1 << 20;
    private const int MaxFailuresReported = 5;

    /// <summary>
    /// The default allocation bound, 64 × the file's size + 1 MiB. Why that is enough for a correct parser of an
    /// uncompressed format: it may hold the file once (1×), its decoded values as float32 (4× per byte for 8-bit
    /// samples, 32× per byte for PBM P4's 1-bit pixels, the densest uncompressed case here), a parsed JSON header
    /// (well under 64× its text) and fixed overheads — stream buffers, exception objects, lookup tables — within the
    /// 1 MiB. What it rules out is allocating by a header's claim before the file has shown it holds the data.
    /// </summary>
    public static long DefaultBound(byte[] file) => 64L * file.Length + Slack;

    /// <summary>The bound for a compressed format: 64 × (the file's size + what its compressed data really inflates
    /// to) + 1 MiB — the same reasoning as <see cref="DefaultBound"/>, with the inflated bytes as the data the file
    /// can justify (a claim beyond them is not).</summary>
    public static long InflatedBound(byte[] file, long inflated) => 64L * (file.Length + inflated) + Slack;

    /// <summary>How many bytes <paramref name="compressed"/> really inflates to through <paramref name="open"/>
    /// (counting up to a corrupt point, at most <paramref name="cap"/>).</summary>
    public static long InflatedLength(byte[] compressed, Func<Stream, Stream> open, long cap = 1L << 28)
    {
        long total = 0;
        try
        {
            using var input = open(new MemoryStream(compressed));
            var buffer = new byte[1 << 16];
            for (int n; total < cap && (n = input.Read(buffer)) > 0;) total += n;
        }
        catch (Exception e) when (e is InvalidDataException or IOException) // IOException: ZLibException
        {
            // corrupt from here on: what came before still counts
        }
        return total;
    }

    /// <summary>Gzip's inflated length (all members), for <see cref="InflatedBound"/>.</summary>
    public static long GunzippedLength(byte[] file) =>
        InflatedLength(file, s => new GZipStream(s, CompressionMode.Decompress));

    /// <summary>Runs one valid input's mutations; see <see cref="RunAsync(string, IReadOnlyList{MutationSource},
    /// Func{byte[], string, object?}, Type, MutationOptions?)"/>.</summary>
    public static Task<MutationReport> RunAsync(string format, byte[] valid, Func<byte[], string, object?> load,
        Type expectedException, MutationOptions? options = null) =>
        RunAsync(format, [new MutationSource(format, valid)], load, expectedException, options);

    /// <summary>
    /// Loads every source unmutated (each must load and pass the check), then mutated cases until
    /// <see cref="MutationOptions.MaxCases"/> or <see cref="MutationOptions.Budget"/>. Each case is written to a file
    /// named after <paramref name="format"/> and <paramref name="load"/> gets its bytes and path; it returns what
    /// it loaded. Fails the test (after the run, listing up to five cases) on: another exception type than
    /// <paramref name="expectedException"/>, a message that does not name the file, a failed sanity check, an
    /// allocation over the bound, or a case slower than <see cref="MutationOptions.CaseLimit"/>.
    /// </summary>
    public static async Task<MutationReport> RunAsync(string format, IReadOnlyList<MutationSource> sources,
        Func<byte[], string, object?> load, Type expectedException, MutationOptions? options = null)
    {
        options ??= new MutationOptions();
        var cancel = TestContext.Current.CancellationToken;
        string folder = Directory.CreateTempSubdirectory("digits-mutants-").FullName;
        string path = Path.Combine(folder, $"mutant-{format.Replace(' ', '-')}.bin");
        var failures = new List<string>();
        var rejections = new Dictionary<string, int>();
        int tried = 0, loaded = 0, rejected = 0;
        long largest = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var source in sources)
            {
                byte[] file = options.Encode?.Invoke(source.Bytes, source) ?? source.Bytes;
                await File.WriteAllBytesAsync(path, file, cancel);
                var outcome = await LoadAsync(load, file, path, options, cancel);
                if (outcome.Error is not null)
                    Assert.Fail($"{format}: the valid input '{source.Name}' does not load: {outcome.Error}");
                options.Check?.Invoke(outcome.Result, file);
            }
            clock.Restart();
            var mutator = new Mutator(options.Seed);
            string stoppedBy = "count";
            foreach (var mutation in mutator.Mutations(sources))
            {
                if (tried >= options.MaxCases) break;
                if (clock.Elapsed >= options.Budget)
                {
                    stoppedBy = "time";
                    break;
                }
                tried++;
                byte[] file = options.Encode?.Invoke(mutation.Bytes, mutation.Source) ?? mutation.Bytes;
                await File.WriteAllBytesAsync(path, file, cancel);
                long bound = (options.AllocationBound ?? DefaultBound)(file);
                string? problem;
                var outcome = await LoadAsync(load, file, path, options, cancel);
                largest = Math.Max(largest, outcome.Allocated);
                if (outcome.TimedOut)
                    problem = $"did not finish within {options.CaseLimit.TotalSeconds:0} s (a hang?)";
                else if (outcome.Allocated > bound)
                    problem = $"allocated {outcome.Allocated:N0} bytes for a {file.Length:N0}-byte file; the bound is " +
                              $"{bound:N0} ({(outcome.Error is null ? "it loaded" : $"then threw {Describe(outcome.Error)}")})";
                else if (outcome.Error is { } e)
                {
                    problem = e.GetType() != expectedException
                        ? $"threw {Describe(e)}, expected {expectedException.Name} or a successful load\n{e.StackTrace}"
                        : !e.Message.Contains(Path.GetFileName(path), StringComparison.Ordinal)
                            ? $"threw {expectedException.Name} whose message does not name the file: '{e.Message}'"
                            : null;
                    if (problem is null)
                    {
                        rejected++;
                        string key = Generalize(e.Message[(e.Message.IndexOf(Path.GetFileName(path)) +
                                                           Path.GetFileName(path).Length)..]);
                        rejections[key] = rejections.GetValueOrDefault(key) + 1;
                    }
                }
                else
                {
                    problem = Check(options, outcome.Result, file);
                    if (problem is null) loaded++;
                }
                if (problem is null) continue;
                failures.Add($"{mutation.Description}\n  → {problem}\n  bytes kept in {Keep(format, options.Seed, mutation, file)}");
                if (outcome.TimedOut || failures.Count >= MaxFailuresReported)
                {
                    stoppedBy = "failures";
                    break;
                }
            }
            var report = new MutationReport(format, options.Seed, tried, loaded, rejected, clock.Elapsed, stoppedBy,
                largest, rejections.OrderByDescending(kv => kv.Value).Take(5).Select(kv => (kv.Key, kv.Value)).ToList());
            Publish(report);
            if (failures.Count > 0)
                Assert.Fail($"{format}: {failures.Count} mutated input(s) mishandled (replay one with new Mutator(seed)" +
                            $".Mutate(sources, case)):\n" + string.Join("\n", failures));
            return report;
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }

    private sealed record Outcome(object? Result, Exception? Error, long Allocated, bool TimedOut);

    /// <summary>Loads on a pool thread, measuring that thread's allocations around the load alone.</summary>
    private static async Task<Outcome> LoadAsync(Func<byte[], string, object?> load, byte[] file, string path,
        MutationOptions options, CancellationToken cancel)
    {
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                object? result = load(file, path);
                return new Outcome(result, null, GC.GetAllocatedBytesForCurrentThread() - before, false);
            }
            catch (Exception e)
            {
                return new Outcome(null, e, GC.GetAllocatedBytesForCurrentThread() - before, false);
            }
        }, cancel);
        try
        {
            return await task.WaitAsync(options.CaseLimit, cancel);
        }
        catch (TimeoutException)
        {
            return new Outcome(null, null, 0, true);
        }
    }

    private static string? Check(MutationOptions options, object? result, byte[] file)
    {
        try
        {
            options.Check?.Invoke(result, file);
            return null;
        }
        catch (Exception e)
        {
            return $"loaded, but the result is not sane: {e.Message}";
        }
    }

    private static string Describe(Exception e) => $"{e.GetType().FullName}: {e.Message}";

    /// <summary>A rejection message with its numbers blanked, so messages differing only in counts group together.
    /// </summary>
    private static string Generalize(string message)
    {
        string text = System.Text.RegularExpressions.Regex.Replace(message.TrimStart(':', ' '), @"[0-9][0-9,.]*", "#");
        return text.Length <= 90 ? text : text[..90] + "…";
    }

    private static string Keep(string format, int seed, Mutation mutation, byte[] file)
    {
        Directory.CreateDirectory(FailureFolder);
        string kept = Path.Combine(FailureFolder, $"{format.Replace(' ', '-')}-seed{seed}-case{mutation.Index}.bin");
        File.WriteAllBytes(kept, file);
        return kept;
    }

    private static void Publish(MutationReport report)
    {
        var lines = new List<string> { report.ToString() };
        lines.AddRange(report.TopRejections.Select(r => $"  {r.Count,6} × {r.Problem}"));
        string text = string.Join(Environment.NewLine, lines);
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        Directory.CreateDirectory(CountsFolder);
        File.WriteAllText(Path.Combine(CountsFolder, $"{report.Format.Replace(' ', '-')}.txt"), text + Environment.NewLine);
    }
}
