using Digits.Cli.Verbs;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>
/// The <c>--checkpoint</c> folder of a training run: created and checked before any work starts, and locked for
/// the run (a second <c>digits train</c> on the same folder is refused rather than interleaving its checkpoints).
/// The lock is an advisory file lock, so it goes away with the process however it ends.
/// </summary>
internal sealed class CheckpointFolder : IDisposable
{
    private const string LockName = ".lock";
    private readonly FileStream _lock;

    private CheckpointFolder(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    /// <summary>The folder as given on the command line.</summary>
    public string Path { get; }

    /// <summary>The checkpoint written when the run was interrupted, if one was, and where in the run it is.</summary>
    public (string File, string Position)? InterruptCheckpoint { get; private set; }

    /// <summary>Creates (if missing), checks and locks the folder given by <paramref name="flag"/>.</summary>
    /// <exception cref="UsageException">it cannot be created or written, or another run holds it.</exception>
    public static CheckpointFolder Open(string path, string flag)
    {
        if (File.Exists(path)) throw new UsageException($"--{flag}: {path} is a file; give a folder");
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--{flag}: cannot create the folder {path} ({e.Message})");
        }
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(System.IO.Path.Combine(path, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite,
                FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"--{flag}: cannot write in {path} ({e.Message})");
        }
        catch (IOException e) when (e is not PathTooLongException)
        {
            throw new UsageException($"--{flag}: {path} is in use by another digits train run (or not writable: {e.Message})");
        }
        return new CheckpointFolder(path, lockFile);
    }

    /// <summary>Loads the newest whole checkpoint in <paramref name="path"/> for <c>--resume</c>; a damaged newer one
    /// is passed over with a note on <paramref name="stderr"/>.</summary>
    /// <exception cref="UsageException">no such folder, no checkpoint in it, or none readable.</exception>
    public static LoadedCheckpoint Load(string path, TextWriter stderr)
    {
        try
        {
            return Checkpoint.LoadLatest(path, note => stderr.WriteLine($"digits: note: {TerminalText.Escape(note)}"));
        }
        catch (DirectoryNotFoundException)
        {
            throw new UsageException($"--resume: {path} does not exist");
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--resume: {path} holds no checkpoint (checkpoint-*.safetensors); " +
                                     "checkpoints are written by digits train --checkpoint DIR");
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--resume: {e.Message}");
        }
    }

    /// <summary>
    /// Saves <paramref name="state"/>. A failure (disk full, folder removed) is reported on <paramref name="stderr"/>
    /// and training goes on: the run itself is not lost, only its latest restart point. <see cref="Summary"/> says at
    /// the end what was not written.
    /// </summary>
    public void Save(TrainingState state, IReadOnlyDictionary<string, string> metadata, bool interrupted,
        TextWriter stderr)
    {
        try
        {
            string file = Checkpoint.Save(Path, state, metadata);
            Written++;
            Newest = (file, state.Position);
            if (interrupted) InterruptCheckpoint = (file, state.Position);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed++;
            LastFailure = OutputFile.Reason(e);
            stderr.WriteLine(TerminalText.Escape($"digits: warning: could not write the checkpoint {state.Position} in " +
                                                 $"{Path}: {LastFailure}" + (interrupted ? "" : "; training goes on")));
        }
    }

    /// <summary>Checkpoints written and not written in this run.</summary>
    public int Written { get; private set; }

    /// <inheritdoc cref="Written"/>
    public int Failed { get; private set; }

    private (string File, string Position)? Newest { get; set; }
    private string? LastFailure { get; set; }

    /// <summary>For the end of a run some of whose checkpoints could not be written: one line saying so (null when
    /// every one was written).</summary>
    public string? Summary() => Failed == 0 ? null
        : Written == 0 ? $"warning: no checkpoint was written in {Path} ({Failed} tried; {LastFailure}): this run could not " +
                         "have been resumed"
        : $"warning: {Failed} of {Failed + Written} checkpoints could not be written in {Path} ({LastFailure}); the newest " +
          $"written is {Newest!.Value.File}, {Newest.Value.Position}";

    /// <summary>How to continue this run, for messages.</summary>
    public string ResumeCommand => $"digits train --resume {Quote(Path)}";

    private static string Quote(string path) => path.Contains(' ') ? $"\"{path}\"" : path;

    /// <summary>Releases the lock. The (empty) lock file stays: deleting it could let two later runs lock two
    /// different files of the same name.</summary>
    public void Dispose() => _lock.Dispose();
}
