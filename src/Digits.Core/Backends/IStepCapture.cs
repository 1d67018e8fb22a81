namespace Digits.Core.Backends;

/// <summary>
/// Optional: a backend that can record the ops of one training step and replay them as one launch (CUDA
/// graphs). Everything issued between <see cref="TryBeginCapture"/> and <see cref="EndCapture"/> is recorded,
/// not run; the step's scalars must therefore live on the device (the counter and schedule of <see cref="IBackend"/>).
/// </summary>
public interface IStepCapture
{
    /// <summary>Whether capture is switched on (CUDA: unless DIGITS_CUDA_GRAPHS=0).</summary>
    bool CaptureEnabled { get; }

    /// <summary>Starts recording; false (nothing recorded, ops run as usual) when the driver cannot.</summary>
    bool TryBeginCapture(out string reason);

    /// <summary>Stops recording and returns the replayable step, or null (with the reason) when the recording
    /// failed; either way nothing recorded has run yet. The ops issued while recording are not counted in
    /// <see cref="IBackend.Launches"/>; each <see cref="IStepGraph.Launch"/> counts one.</summary>
    IStepGraph? EndCapture(out string reason);
}

/// <summary>A recorded step (see <see cref="IStepCapture"/>). Dispose before the backend.</summary>
public interface IStepGraph : IDisposable
{
    /// <summary>Queues the whole recorded step: one launch.</summary>
    void Launch();
}
