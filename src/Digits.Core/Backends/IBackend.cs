namespace Digits.Core.Backends;

/// <summary>
/// The op-level, device-resident seam every backend implements (docs/ARCHITECTURE.md, "The IBackend seam"): allocate,
/// upload and download buffers, one method per op, <see cref="Synchronize"/>. The training loop is written once
/// against it.
/// <para>Conventions, the same for every op:</para>
/// <list type="bullet">
/// <item>Shapes: B = mini-batch, I = inputs, O = outputs (a layer's width), N = dataset size. Row-major;
/// activations are (B, features); a dense layer's weight is (O, I) and computes
/// y[b,o] = act(bias[o] + Σᵢ x[b,i]·W[o,i]).</item>
/// <item>Argument order: inputs, then sizes and scalars, then destinations last. Void return.</item>
/// <item>Gradients: every backward op <b>overwrites</b> its destination (parameter gradients are written
/// once per step, never accumulated), so no zeroing pass is needed between steps. The only
/// accumulating destinations are the loss and correct-count scalars, which say so.</item>
/// <item>Errors: <see cref="ArgumentException"/> for a view that is too short, a negative size or a view
/// of another backend's buffer; <see cref="ObjectDisposedException"/> after dispose.</item>
/// <item>Ops are queued in order; results are visible to <see cref="Download{T}"/> (which waits) and after
/// <see cref="Synchronize"/>.</item>
/// </list>
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Short device name as <c>--device</c> spells it: "reference", "cpu", "opencl:0", "cuda:0".</summary>
    string Name { get; }

    /// <summary>One line for people: the hardware and how it is driven.</summary>
    string Description { get; }

    /// <summary>Buffers allocated and not yet disposed.</summary>
    int LiveBuffers { get; }

    /// <summary>Bytes of device memory held by live buffers.</summary>
    long AllocatedBytes { get; }

    /// <summary>Most bytes held at once since the backend was created.</summary>
    long PeakAllocatedBytes { get; }

    /// <summary>Kernel launches issued since the backend was created: on a GPU each kernel queued (an op may queue
    /// several: <see cref="Augment"/> with an elastic field is four), on the CPU backends one per op called. Ops that
    /// do nothing (a size of 0) are not counted, nor are ops recorded into a step graph; each replay of a graph counts
    /// one (see <see cref="IStepCapture"/>).</summary>
    long Launches { get; }

    /// <summary>Allocates a zero-filled buffer of <paramref name="length"/> elements; T is float or int.</summary>
    /// <exception cref="NotSupportedException">T is neither float nor int.</exception>
    DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged;

    /// <summary>Copies host memory to the device. <c>source.Length</c> must equal <c>destination.Length</c>.</summary>
    void Upload<T>(ReadOnlySpan<T> source, BufferView<T> destination) where T : unmanaged;

    /// <summary>Waits for queued work, then copies device memory to the host.</summary>
    void Download<T>(BufferView<T> source, Span<T> destination) where T : unmanaged;

    /// <summary>Sets every element of <paramref name="destination"/> to <paramref name="value"/>.</summary>
    void Fill(float value, BufferView<float> destination);

    /// <summary>Sets every element of <paramref name="destination"/> to <paramref name="value"/>.</summary>
    void Fill(int value, BufferView<int> destination);

    /// <summary>Waits until every queued op has finished.</summary>
    void Synchronize();

    /// <summary>
    /// Dense layer forward, GEMM with bias and activation fused:
    /// y[b,o] = act(bias[o] + Σᵢ x[b,i]·W[o,i]). x (B,I), weight (O,I), bias (O), y (B,O).
    /// </summary>
    void LinearForward(BufferView<float> x, BufferView<float> weight, BufferView<float> bias,
        Activation activation, int batch, int inputs, int outputs, BufferView<float> y);

    /// <summary>
    /// Activation backward from the activation's output: dz = dy · act′(y), with act′ written in terms of
    /// y (relu: y &gt; 0; sigmoid: y(1−y); tanh: 1−y²). y, dy, dz (count); dz may be dy itself.
    /// </summary>
    void ActivationBackward(BufferView<float> y, BufferView<float> dy, Activation activation, int count,
        BufferView<float> dz);

    /// <summary>
    /// Gradient with respect to a dense layer's input (GEMM NN): dx[b,i] = Σₒ dz[b,o]·W[o,i].
    /// dz (B,O), weight (O,I), dx (B,I) overwritten.
    /// </summary>
    void LinearBackwardInput(BufferView<float> dz, BufferView<float> weight, int batch, int inputs, int outputs,
        BufferView<float> dx);

    /// <summary>
    /// Gradient with respect to a dense layer's weight (GEMM TN): dW[o,i] = Σ_b dz[b,o]·x[b,i].
    /// x (B,I), dz (B,O), dWeight (O,I) overwritten.
    /// </summary>
    void LinearBackwardWeight(BufferView<float> x, BufferView<float> dz, int batch, int inputs, int outputs,
        BufferView<float> dWeight);

    /// <summary>Bias gradient, a column reduction: db[o] = Σ_b dz[b,o]. dz (B,O), dBias (O) overwritten.</summary>
    void BiasBackward(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias);

    /// <summary>
    /// Softmax + cross-entropy, forward and backward fused, numerically stable:
    /// lossᵦ = log Σⱼ exp(zᵦⱼ − m) + m − zᵦ,yᵦ with m = maxⱼ zᵦⱼ;
    /// dLogits[b,j] = scale·(softmax(zᵦ)ⱼ − [j = yᵦ]); lossSum[0] += Σᵦ lossᵦ.
    /// logits (B,C), labels (B) in [0,C), dLogits (B,C) overwritten, lossSum (1) accumulated.
    /// </summary>
    void SoftmaxCrossEntropy(BufferView<float> logits, BufferView<int> labels, int batch, int classes, float scale,
        BufferView<float> dLogits, BufferView<float> lossSum);

    /// <summary>
    /// Quadratic cost on sigmoid outputs (Nielsen ch. 1–2): lossᵦ = ½ Σⱼ (aᵦⱼ − tᵦⱼ)² with t one-hot;
    /// dPre[b,j] = scale·(aᵦⱼ − tᵦⱼ)·aᵦⱼ(1 − aᵦⱼ), the gradient with respect to the pre-sigmoid values;
    /// lossSum[0] += Σᵦ lossᵦ. outputs (B,C) = sigmoid activations, labels (B), dPre (B,C) overwritten.
    /// </summary>
    void QuadraticCost(BufferView<float> outputs, BufferView<int> labels, int batch, int classes, float scale,
        BufferView<float> dPre, BufferView<float> lossSum);

    /// <summary>Index of the largest score per row (first on ties). scores (B,C), predictions (B).</summary>
    void Argmax(BufferView<float> scores, int batch, int classes, BufferView<int> predictions);

    /// <summary>correct[0] += number of rows whose argmax (first on ties) equals the label. scores (B,C),
    /// labels (B), correct (1) accumulated.</summary>
    void CountCorrect(BufferView<float> scores, BufferView<int> labels, int batch, int classes,
        BufferView<int> correct);

    // Device-driven steps. A training step's scalars live on the device, so a step launches the same arguments
    // every time and can be recorded once (a CUDA graph) and replayed. Two small device buffers drive it:
    //   counter (3 ints): counter[0] = the mini-batch's index within the epoch, counter[1] = the global step
    //   t (0-based), both advanced by AdvanceStep; counter[2] = the first step after which the loss sum was
    //   not finite, −1 until then (set by AdvanceStep, so divergence is found without reading the loss);
    //   schedule (S, 3 floats), uploaded once per epoch (see StepSchedule): for the epoch's mini-batch s,
    //   schedule[3s] = learning rate, schedule[3s+1] = Adam's c₁ = 1/(1−β₁ᵗ⁺¹), schedule[3s+2] = c₂ = 1/(1−β₂ᵗ⁺¹)
    //   with t that mini-batch's global step.
    // The host cannot check the device-held indices: the reference and CPU backends throw
    // ArgumentOutOfRangeException for one out of range; a GPU cannot throw, so its gather writes zero rows and
    // label −1 and its optimizer steps change nothing.

    /// <summary>
    /// Gathers a mini-batch from a dataset held on the device, at the position the step counter gives:
    /// with start = counter[0]·<paramref name="stride"/>, for r in [0,B): x[r,:] = images[indices[start+r],:],
    /// y[r] = labels[indices[start+r]]. <paramref name="stride"/> is the run's mini-batch size and B ≤ it is this
    /// step's (smaller for an epoch's last, partial mini-batch). images (N,I), labels (N), indices (any length;
    /// start+r must be inside it) each in [0,N), counter (≥ 1), x (B,I), y (B).
    /// </summary>
    void GatherBatch(BufferView<float> images, BufferView<int> labels, BufferView<int> indices,
        BufferView<int> counter, int stride, int batch, int features, BufferView<float> x, BufferView<int> y);

    /// <summary>
    /// Mini-batch SGD with L2 weight decay over a flat parameter buffer, lr = schedule[3·counter[0]] read on the
    /// device: g = grad + λ·p (λ only for the first <paramref name="decayCount"/> elements, the weights);
    /// p −= lr·g. gradients, parameters (count), schedule (S,3), counter (≥ 1).
    /// </summary>
    void SgdStep(BufferView<float> gradients, int count, int decayCount, BufferView<float> schedule,
        BufferView<int> counter, float weightDecay, BufferView<float> parameters);

    /// <summary>
    /// SGD with (heavy-ball) momentum, PyTorch's form, lr = schedule[3·counter[0]] read on the device:
    /// g = grad + λ·p; v = μ·v + g; p −= lr·v. gradients, velocity, parameters (count), schedule (S,3),
    /// counter (≥ 1).
    /// </summary>
    void MomentumStep(BufferView<float> gradients, int count, int decayCount, BufferView<float> schedule,
        BufferView<int> counter, float momentum, float weightDecay, BufferView<float> velocity,
        BufferView<float> parameters);

    /// <summary>
    /// Adam (Kingma &amp; Ba 2015, Algorithm 1) with L2 weight decay added to the gradient:
    /// g = grad + λ·p; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p −= lr·(m·c₁) / (√(v·c₂) + ε), with lr and the
    /// bias corrections c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ) read on the device from schedule row counter[0];
    /// <paramref name="adam"/> gives β₁, β₂, ε and λ.
    /// gradients, m, v, parameters (count), schedule (S,3), counter (≥ 1).
    /// </summary>
    void AdamStep(BufferView<float> gradients, int count, int decayCount, in AdamParameters adam,
        BufferView<float> schedule, BufferView<int> counter, BufferView<float> m, BufferView<float> v,
        BufferView<float> parameters);

    /// <summary>
    /// Inverted dropout (Srivastava et al. 2014, JMLR) at global step t = counter[1], read on the device:
    /// y[e] = keep(e, t) ? x[e]·scale : 0, with keep and scale given by <paramref name="dropout"/> (a counter-based
    /// Philox draw per element, the same on every backend). Used forward on a layer's output and backward on the
    /// gradient flowing into it (same stream and step → same mask). x, y (count); y may be x. counter (≥ 2).
    /// </summary>
    void Dropout(BufferView<float> x, BufferView<int> counter, in DropoutParameters dropout, int count,
        BufferView<float> y);

    /// <summary>
    /// Max-norm constraint on each unit's incoming weights (Srebro &amp; Shraibman 2005; paired with dropout by
    /// Srivastava et al. 2014): for each row o of weight (O,I), n = √(Σᵢ W[o,i]²) summed in index order; if
    /// n &gt; <paramref name="maxNorm"/>, W[o,:] *= maxNorm / n. weight (O,I) updated in place.
    /// </summary>
    void MaxNorm(BufferView<float> weight, int outputs, int inputs, float maxNorm);

    /// <summary>
    /// Data augmentation on the device at global step t = counter[1] (see <see cref="AugmentParameters"/> and
    /// <see cref="Augmentation"/>): each image r of x is resampled through its own random affine map and elastic
    /// field into y[r]. x, y (B, H·W), y must not overlap x; gaussian (2R + 1) the smoothing weights (R =
    /// <see cref="AugmentParameters.ElasticRadius"/>); field (<see cref="AugmentParameters.FieldLength"/>) scratch.
    /// </summary>
    void Augment(BufferView<float> x, BufferView<int> counter, in AugmentParameters augment, int batch,
        BufferView<float> gaussian, BufferView<float> field, BufferView<float> y);

    /// <summary>
    /// Ends a step on the device (one launch): if counter[2] &lt; 0 and lossSum[0] is NaN or ±∞, counter[2] =
    /// counter[1] (the step that just ran); then counter[0] += 1, counter[1] += 1. counter (≥ 3), lossSum (≥ 1).
    /// </summary>
    void AdvanceStep(BufferView<int> counter, BufferView<float> lossSum);
}
