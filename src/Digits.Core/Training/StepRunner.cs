using Digits.Core.Backends;

namespace Digits.Core.Training;

/// <summary>
/// Takes training steps, as CUDA graphs where the backend can record them. The first full-size step runs op by op
/// (a warm-up: every kernel is then loaded, which cannot happen while recording); the second is recorded once through
/// <see cref="IStepCapture"/> and launched; every later full-size step replays that recording as one launch. A step
/// of another size (an epoch's last, smaller mini-batch) always runs op by op, since the recording holds the full
/// size's arguments.
/// <para>Recording never ends a run: if it cannot begin, if an op fails while it is being recorded, or if it cannot
/// end, the recording is dropped (nothing recorded has run), the notice callback hears once why, and that step and
/// every later one run op by op, with the same results as a run that never tried.</para>
/// </summary>
internal sealed class StepRunner : IDisposable
{
    private readonly int _fullBatch;
    private readonly Action<int> _step;
    private readonly Action<string> _notice;
    private IStepCapture? _capture;
    private IStepGraph? _graph;
    private bool _warmedUp;

    /// <param name="fullBatch">The full mini-batch size, B.</param>
    /// <param name="step">Issues one step's ops for a mini-batch of the given size.</param>
    /// <param name="capture">The backend's recorder, or null to run every step op by op.</param>
    /// <param name="notice">Told, once, why steps are not recorded when recording was tried and failed.</param>
    public StepRunner(int fullBatch, Action<int> step, IStepCapture? capture, Action<string> notice)
    {
        _fullBatch = fullBatch;
        _step = step;
        _capture = capture is { CaptureEnabled: true } ? capture : null;
        _notice = notice;
    }

    /// <summary>Takes one step on a mini-batch of <paramref name="batch"/> images.</summary>
    public void Run(int batch)
    {
        if (batch != _fullBatch) _step(batch);
        else if (_graph is not null) _graph.Launch();
        else if (_capture is not null && _warmedUp) RecordAndLaunch();
        else
        {
            _step(batch);
            _warmedUp = true;
        }
    }

    private void RecordAndLaunch()
    {
        _graph = Record(_capture!);
        if (_graph is null)
        {
            _capture = null;
            _step(_fullBatch);
        }
        else
            _graph.Launch();
    }

    /// <summary>Records one full-size step as a graph, or says why not and returns null (the step has then not run).
    /// </summary>
    private IStepGraph? Record(IStepCapture capture)
    {
        if (!capture.TryBeginCapture(out string reason))
            return GiveUp($"step graphs unavailable ({reason})");
        try
        {
            _step(_fullBatch);
        }
        catch (Exception e)
        {
            // Ends the capture and drops what it recorded, so the step can run op by op; a failure that is not the
            // recording's will happen again there, and end the run as it would have without graphs.
            capture.EndCapture(out _)?.Dispose();
            return GiveUp($"recording the step as a graph failed ({e.Message})");
        }
        return capture.EndCapture(out reason) ?? GiveUp($"recording the step as a graph failed ({reason})");
    }

    private IStepGraph? GiveUp(string why)
    {
        _notice($"{why}; using plain launches");
        return null;
    }

    public void Dispose()
    {
        _graph?.Dispose();
        _graph = null;
    }
}
