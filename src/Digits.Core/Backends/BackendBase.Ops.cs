namespace Digits.Core.Backends;

// The ops of IBackend, in its order: each is its argument checks, then one Launch (counted, and seen by the
// interceptor), with the abstract …Core a backend implements right below it. The …Core may assume what the checks
// established: every view belongs to this backend and is long enough, every size is ≥ 0, and the op does work.
public abstract partial class BackendBase
{
    public void LinearForward(BufferView<float> x, BufferView<float> weight, BufferView<float> bias,
        Activation activation, int batch, int inputs, int outputs, BufferView<float> y)
    {
        Sizes(batch, inputs, outputs);
        Need(x, (long)batch * inputs, nameof(x));
        Need(weight, (long)outputs * inputs, nameof(weight));
        Need(bias, outputs, nameof(bias));
        Need(y, (long)batch * outputs, nameof(y));
        CheckActivation(activation);
        if (batch == 0 || outputs == 0) return;
        Launch(OpInfo.GemmLaunch(nameof(LinearForward), batch, inputs, outputs),
            (x, weight, bias, activation, batch, inputs, outputs, y),
            static (b, a) => b.LinearForwardCore(a.x, a.weight, a.bias, a.activation, a.batch, a.inputs, a.outputs,
                a.y));
    }

    protected abstract void LinearForwardCore(BufferView<float> x, BufferView<float> weight, BufferView<float> bias,
        Activation activation, int batch, int inputs, int outputs, BufferView<float> y);

    public void ActivationBackward(BufferView<float> y, BufferView<float> dy, Activation activation, int count,
        BufferView<float> dz)
    {
        Sizes(count);
        Need(y, count, nameof(y));
        Need(dy, count, nameof(dy));
        Need(dz, count, nameof(dz));
        CheckActivation(activation);
        if (count == 0) return;
        Launch(OpInfo.Launch(nameof(ActivationBackward), count), (y, dy, activation, count, dz),
            static (b, a) => b.ActivationBackwardCore(a.y, a.dy, a.activation, a.count, a.dz));
    }

    protected abstract void ActivationBackwardCore(BufferView<float> y, BufferView<float> dy, Activation activation,
        int count, BufferView<float> dz);

    public void LinearBackwardInput(BufferView<float> dz, BufferView<float> weight, int batch, int inputs,
        int outputs, BufferView<float> dx)
    {
        Sizes(batch, inputs, outputs);
        Need(dz, (long)batch * outputs, nameof(dz));
        Need(weight, (long)outputs * inputs, nameof(weight));
        Need(dx, (long)batch * inputs, nameof(dx));
        if (batch == 0 || inputs == 0) return;
        Launch(OpInfo.GemmLaunch(nameof(LinearBackwardInput), batch, inputs, outputs),
            (dz, weight, batch, inputs, outputs, dx),
            static (b, a) => b.LinearBackwardInputCore(a.dz, a.weight, a.batch, a.inputs, a.outputs, a.dx));
    }

    protected abstract void LinearBackwardInputCore(BufferView<float> dz, BufferView<float> weight, int batch,
        int inputs, int outputs, BufferView<float> dx);

    public void LinearBackwardWeight(BufferView<float> x, BufferView<float> dz, int batch, int inputs,
        int outputs, BufferView<float> dWeight)
    {
        Sizes(batch, inputs, outputs);
        Need(x, (long)batch * inputs, nameof(x));
        Need(dz, (long)batch * outputs, nameof(dz));
        Need(dWeight, (long)outputs * inputs, nameof(dWeight));
        if (inputs == 0 || outputs == 0) return;
        Launch(OpInfo.GemmLaunch(nameof(LinearBackwardWeight), batch, inputs, outputs),
            (x, dz, batch, inputs, outputs, dWeight),
            static (b, a) => b.LinearBackwardWeightCore(a.x, a.dz, a.batch, a.inputs, a.outputs, a.dWeight));
    }

    protected abstract void LinearBackwardWeightCore(BufferView<float> x, BufferView<float> dz, int batch,
        int inputs, int outputs, BufferView<float> dWeight);

    public void BiasBackward(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias)
    {
        Sizes(batch, outputs);
        Need(dz, (long)batch * outputs, nameof(dz));
        Need(dBias, outputs, nameof(dBias));
        if (outputs == 0) return;
        Launch(OpInfo.Launch(nameof(BiasBackward), batch, outputs), (dz, batch, outputs, dBias),
            static (b, a) => b.BiasBackwardCore(a.dz, a.batch, a.outputs, a.dBias));
    }

    protected abstract void BiasBackwardCore(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias);

    public void SoftmaxCrossEntropy(BufferView<float> logits, BufferView<int> labels, int batch, int classes,
        float scale, BufferView<float> dLogits, BufferView<float> lossSum)
    {
        Sizes(batch, classes);
        Need(logits, (long)batch * classes, nameof(logits));
        Need(labels, batch, nameof(labels));
        Need(dLogits, (long)batch * classes, nameof(dLogits));
        Need(lossSum, 1, nameof(lossSum));
        if (batch == 0) return;
        if (classes == 0) throw new ArgumentException("softmax needs at least one class", nameof(classes));
        Launch(OpInfo.Launch(nameof(SoftmaxCrossEntropy), batch, classes),
            (logits, labels, batch, classes, scale, dLogits, lossSum),
            static (b, a) => b.SoftmaxCrossEntropyCore(a.logits, a.labels, a.batch, a.classes, a.scale, a.dLogits,
                a.lossSum));
    }

    protected abstract void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dLogits, BufferView<float> lossSum);

    public void QuadraticCost(BufferView<float> outputs, BufferView<int> labels, int batch, int classes, float scale,
        BufferView<float> dPre, BufferView<float> lossSum)
    {
        Sizes(batch, classes);
        Need(outputs, (long)batch * classes, nameof(outputs));
        Need(labels, batch, nameof(labels));
        Need(dPre, (long)batch * classes, nameof(dPre));
        Need(lossSum, 1, nameof(lossSum));
        if (batch == 0) return;
        Launch(OpInfo.Launch(nameof(QuadraticCost), batch, classes),
            (outputs, labels, batch, classes, scale, dPre, lossSum),
            static (b, a) => b.QuadraticCostCore(a.outputs, a.labels, a.batch, a.classes, a.scale, a.dPre, a.lossSum));
    }

    protected abstract void QuadraticCostCore(BufferView<float> outputs, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dPre, BufferView<float> lossSum);

    public void Argmax(BufferView<float> scores, int batch, int classes, BufferView<int> predictions)
    {
        Sizes(batch, classes);
        Need(scores, (long)batch * classes, nameof(scores));
        Need(predictions, batch, nameof(predictions));
        if (batch == 0) return;
        if (classes == 0) throw new ArgumentException("argmax needs at least one class", nameof(classes));
        Launch(OpInfo.Launch(nameof(Argmax), batch, classes), (scores, batch, classes, predictions),
            static (b, a) => b.ArgmaxCore(a.scores, a.batch, a.classes, a.predictions));
    }

    protected abstract void ArgmaxCore(BufferView<float> scores, int batch, int classes,
        BufferView<int> predictions);

    public void CountCorrect(BufferView<float> scores, BufferView<int> labels, int batch, int classes,
        BufferView<int> correct)
    {
        Sizes(batch, classes);
        Need(scores, (long)batch * classes, nameof(scores));
        Need(labels, batch, nameof(labels));
        Need(correct, 1, nameof(correct));
        if (batch == 0) return;
        if (classes == 0) throw new ArgumentException("accuracy needs at least one class", nameof(classes));
        Launch(OpInfo.Launch(nameof(CountCorrect), batch, classes), (scores, labels, batch, classes, correct),
            static (b, a) => b.CountCorrectCore(a.scores, a.labels, a.batch, a.classes, a.correct));
    }

    protected abstract void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, int batch,
        int classes, BufferView<int> correct);

    public void GatherBatch(BufferView<float> images, BufferView<int> labels, BufferView<int> indices,
        BufferView<int> counter, int stride, int batch, int features, BufferView<float> x, BufferView<int> y)
    {
        Sizes(stride, batch, features);
        Check(indices, nameof(indices));
        Need(counter, 1, nameof(counter));
        Need(x, (long)batch * features, nameof(x));
        Need(y, batch, nameof(y));
        if (features > 0 && images.Length % features != 0)
            throw new ArgumentException(
                $"images holds {images.Length} elements, not a whole number of rows of {features}", nameof(images));
        Check(images, nameof(images));
        Check(labels, nameof(labels));
        if (batch == 0) return;
        Launch(OpInfo.Launch(nameof(GatherBatch), batch, features),
            (images, labels, indices, counter, stride, batch, features, x, y),
            static (b, a) => b.GatherBatchCore(a.images, a.labels, a.indices, a.counter, a.stride, a.batch, a.features,
                a.x, a.y));
    }

    protected abstract void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, BufferView<int> counter, int stride, int batch, int features, BufferView<float> x,
        BufferView<int> y);

    public void SgdStep(BufferView<float> gradients, int count, int decayCount, BufferView<float> schedule,
        BufferView<int> counter, float weightDecay, BufferView<float> parameters)
    {
        Step(gradients, count, decayCount, parameters);
        Tables(schedule, counter);
        if (count == 0) return;
        Launch(OpInfo.Launch(nameof(SgdStep), count),
            (gradients, count, decayCount, schedule, counter, weightDecay, parameters),
            static (b, a) => b.SgdStepCore(a.gradients, a.count, a.decayCount, a.schedule, a.counter, a.weightDecay,
                a.parameters));
    }

    protected abstract void SgdStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float weightDecay, BufferView<float> parameters);

    public void MomentumStep(BufferView<float> gradients, int count, int decayCount, BufferView<float> schedule,
        BufferView<int> counter, float momentum, float weightDecay, BufferView<float> velocity,
        BufferView<float> parameters)
    {
        Step(gradients, count, decayCount, parameters);
        Need(velocity, count, nameof(velocity));
        Tables(schedule, counter);
        if (count == 0) return;
        Launch(OpInfo.Launch(nameof(MomentumStep), count),
            (gradients, count, decayCount, schedule, counter, momentum, weightDecay, velocity, parameters),
            static (b, a) => b.MomentumStepCore(a.gradients, a.count, a.decayCount, a.schedule, a.counter, a.momentum,
                a.weightDecay, a.velocity, a.parameters));
    }

    protected abstract void MomentumStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float momentum, float weightDecay,
        BufferView<float> velocity, BufferView<float> parameters);

    public void AdamStep(BufferView<float> gradients, int count, int decayCount, in AdamParameters adam,
        BufferView<float> schedule, BufferView<int> counter, BufferView<float> m, BufferView<float> v,
        BufferView<float> parameters)
    {
        Step(gradients, count, decayCount, parameters);
        Need(m, count, nameof(m));
        Need(v, count, nameof(v));
        Tables(schedule, counter);
        if (count == 0) return;
        Launch(OpInfo.Launch(nameof(AdamStep), count),
            (gradients, count, decayCount, adam, schedule, counter, m, v, parameters),
            static (b, a) => b.AdamStepCore(a.gradients, a.count, a.decayCount, a.adam, a.schedule, a.counter, a.m, a.v,
                a.parameters));
    }

    protected abstract void AdamStepCore(BufferView<float> gradients, int count, int decayCount,
        in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter, BufferView<float> m,
        BufferView<float> v, BufferView<float> parameters);

    public void Dropout(BufferView<float> x, BufferView<int> counter, in DropoutParameters dropout, int count,
        BufferView<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Need(x, count, nameof(x));
        Need(y, count, nameof(y));
        Need(counter, 2, nameof(counter));
        if (dropout.Threshold < 0 || dropout.Threshold > 65535 || !(dropout.Scale >= 1) || !float.IsFinite(dropout.Scale))
            throw new ArgumentException("dropout threshold must be in [0, 65535] and scale ≥ 1", nameof(dropout));
        if (count == 0) return;
        Launch(OpInfo.Launch(nameof(Dropout), count), (x, counter, dropout, count, y),
            static (b, a) => b.DropoutCore(a.x, a.counter, a.dropout, a.count, a.y));
    }

    protected abstract void DropoutCore(BufferView<float> x, BufferView<int> counter, in DropoutParameters dropout,
        int count, BufferView<float> y);

    public void MaxNorm(BufferView<float> weight, int outputs, int inputs, float maxNorm)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        ArgumentOutOfRangeException.ThrowIfNegative(inputs);
        if (!(maxNorm > 0) || !float.IsFinite(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the max-norm must be a positive number");
        Need(weight, (long)outputs * inputs, nameof(weight));
        if (outputs == 0 || inputs == 0) return;
        Launch(OpInfo.Launch(nameof(MaxNorm), outputs, inputs), (weight, outputs, inputs, maxNorm),
            static (b, a) => b.MaxNormCore(a.weight, a.outputs, a.inputs, a.maxNorm));
    }

    protected abstract void MaxNormCore(BufferView<float> weight, int outputs, int inputs, float maxNorm);

    public void Augment(BufferView<float> x, BufferView<int> counter, in AugmentParameters augment, int batch,
        BufferView<float> gaussian, BufferView<float> field, BufferView<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (augment.Height < 1 || augment.Width < 1)
            throw new ArgumentException($"image size {augment.Height}×{augment.Width} must be positive", nameof(augment));
        if (augment.ElasticRadius < 0) throw new ArgumentException("the elastic radius must be ≥ 0", nameof(augment));
        if (!(augment.ScaleMin > 0) || !(augment.ScaleMax > 0))
            throw new ArgumentException("scales must be positive", nameof(augment));
        if (!(Math.Abs(augment.RotationMin) <= MathF.PI && Math.Abs(augment.RotationMax) <= MathF.PI))
            throw new ArgumentException("rotations must be within ±π", nameof(augment));
        if (!(Math.Abs(augment.ShearMin) <= MathF.PI / 3 && Math.Abs(augment.ShearMax) <= MathF.PI / 3))
            throw new ArgumentException("shears must be within ±π/3", nameof(augment));
        if (!float.IsFinite(augment.TranslateMin) || !float.IsFinite(augment.TranslateMax) || !float.IsFinite(augment.ElasticAlpha))
            throw new ArgumentException("translations and α must be finite", nameof(augment));
        long pixels = (long)augment.Height * augment.Width;
        Need(x, batch * pixels, nameof(x));
        Need(y, batch * pixels, nameof(y));
        Need(counter, 2, nameof(counter));
        Need(gaussian, 2L * augment.ElasticRadius + 1, nameof(gaussian));
        Need(field, augment.FieldLength(batch), nameof(field));
        if (batch == 0) return;
        Launch(OpInfo.Launch(nameof(Augment), batch, augment.Height, augment.Width),
            (x, counter, augment, batch, gaussian, field, y),
            static (b, a) => b.AugmentCore(a.x, a.counter, a.augment, a.batch, a.gaussian, a.field, a.y));
    }

    protected abstract void AugmentCore(BufferView<float> x, BufferView<int> counter, in AugmentParameters augment,
        int batch, BufferView<float> gaussian, BufferView<float> field, BufferView<float> y);

    public void AdvanceStep(BufferView<int> counter, BufferView<float> lossSum)
    {
        Need(counter, 3, nameof(counter));
        Need(lossSum, 1, nameof(lossSum));
        Launch(OpInfo.Launch(nameof(AdvanceStep)), (counter, lossSum),
            static (b, a) => b.AdvanceStepCore(a.counter, a.lossSum));
    }

    protected abstract void AdvanceStepCore(BufferView<int> counter, BufferView<float> lossSum);

    private void Step(BufferView<float> gradients, int count, int decayCount, BufferView<float> parameters)
    {
        Sizes(count, decayCount);
        if (decayCount > count)
            throw new ArgumentException($"decayCount {decayCount} exceeds count {count}", nameof(decayCount));
        Need(gradients, count, nameof(gradients));
        Need(parameters, count, nameof(parameters));
    }

    private void Tables(BufferView<float> schedule, BufferView<int> counter)
    {
        Need(schedule, 3, nameof(schedule));
        if (schedule.Length % 3 != 0)
            throw new ArgumentException($"schedule holds {schedule.Length} elements, not (steps, 3)", nameof(schedule));
        Need(counter, 1, nameof(counter));
    }

    private static void CheckActivation(Activation activation)
    {
        if (!Enum.IsDefined(activation))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
    }
}
