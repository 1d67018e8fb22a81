using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Reference;

/// <summary>
/// The oracle checked by central finite differences in double precision (docs/ARCHITECTURE.md, "Tests written once
/// per backend"): each backward op of <see cref="ReferenceBackend"/> against the derivative of an independent double
/// forward, on random coordinates; then whole networks for every activation and loss.
/// </summary>
public sealed class GradientCheckTests
{
    private const double H = 1e-5;

    /// <summary>Analytic gradients come out in float (about 7 digits); central differences in double with
    /// h = 1e-5 are accurate to ~1e-9, so the float rounding dominates.</summary>
    private static readonly Tolerance Gradient = new(2e-5, 2e-4);

    private static double[] D(float[] v) => v.Select(f => (double)f).ToArray();

    private static void AssertGradient(double expected, float actual, string what)
    {
        Assert.True(Math.Abs(actual - expected) <= Gradient.Atol + Gradient.Rtol * Math.Abs(expected),
            $"{what}: analytic {actual:g9}, central difference {expected:g9}");
    }

    [Theory]
    [InlineData(Activation.Identity)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void ActivationBackward_is_the_derivative_of_the_activation(Activation activation)
    {
        var random = new Random(1);
        const int n = 64;
        float[] z = TestData.Uniform(random, n, -3, 3), dy = TestData.Uniform(random, n);
        for (int k = 0; k < n; k++) if (Math.Abs(z[k]) < 1e-3) z[k] = 0.5f; // keep away from relu's kink
        float[] y = z.Select(v => (float)DoubleMath.Act(activation, v)).ToArray();
        using var r = new Rig(new ReferenceBackend());
        var dz = r.Put(new float[n]);
        r.Backend.ActivationBackward(r.Put(y), r.Put(dy), activation, n, dz);
        float[] analytic = r.Take(dz);
        var point = D(z);
        for (int k = 0; k < n; k++)
        {
            int kk = k;
            double numeric = DoubleMath.Central(point, k, H, p => dy[kk] * DoubleMath.Act(activation, p[kk]));
            AssertGradient(numeric, analytic[k], $"dz[{k}] ({activation})");
        }
    }

    [Fact]
    public void Linear_backward_ops_are_the_derivatives_of_LinearForward()
    {
        const int batch = 5, inputs = 7, outputs = 4;
        var random = new Random(2);
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
            b = TestData.Uniform(random, outputs), dz = TestData.Uniform(random, batch * outputs);
        // L = Σ dz ⊙ (x·Wᵀ + b): its gradients are exactly what the three backward ops compute.
        double L(double[] xs, double[] ws, double[] bs) =>
            DoubleMath.Linear(xs, ws, bs, batch, inputs, outputs).Select((v, k) => v * dz[k]).Sum();
        using var r = new Rig(new ReferenceBackend());
        var dx = r.Put(new float[batch * inputs]);
        var dw = r.Put(new float[outputs * inputs]);
        var db = r.Put(new float[outputs]);
        r.Backend.LinearBackwardInput(r.Put(dz), r.Put(w), batch, inputs, outputs, dx);
        r.Backend.LinearBackwardWeight(r.Put(x), r.Put(dz), batch, inputs, outputs, dw);
        r.Backend.BiasBackward(r.Put(dz), batch, outputs, db);
        double[] px = D(x), pw = D(w), pb = D(b);
        float[] ax = r.Take(dx), aw = r.Take(dw), ab = r.Take(db);
        for (int k = 0; k < px.Length; k++)
            AssertGradient(DoubleMath.Central(px, k, H, p => L(p, pw, pb)), ax[k], $"dx[{k}]");
        for (int k = 0; k < pw.Length; k++)
            AssertGradient(DoubleMath.Central(pw, k, H, p => L(px, p, pb)), aw[k], $"dW[{k}]");
        for (int k = 0; k < pb.Length; k++)
            AssertGradient(DoubleMath.Central(pb, k, H, p => L(px, pw, p)), ab[k], $"db[{k}]");
    }

    [Theory]
    [InlineData(LossKind.CrossEntropy)]
    [InlineData(LossKind.Quadratic)]
    public void Loss_backward_is_the_derivative_of_the_loss(LossKind loss)
    {
        const int batch = 6, classes = 10;
        const float scale = 1f / batch;
        var random = new Random(3);
        float[] z = TestData.Uniform(random, batch * classes, -4, 4);
        int[] labels = TestData.Labels(random, batch, classes);
        using var r = new Rig(new ReferenceBackend());
        var d = r.Put(new float[batch * classes]);
        var sum = r.Put([0f]);
        if (loss == LossKind.CrossEntropy)
            r.Backend.SoftmaxCrossEntropy(r.Put(z), r.Put(labels), batch, classes, scale, d, sum);
        else
        {
            float[] a = z.Select(v => (float)DoubleMath.Act(Activation.Sigmoid, v)).ToArray();
            r.Backend.QuadraticCost(r.Put(a), r.Put(labels), batch, classes, scale, d, sum);
        }
        Func<double[], double> f = loss == LossKind.CrossEntropy
            ? p => scale * DoubleMath.CrossEntropySum(p, labels, classes)
            : p => scale * DoubleMath.QuadraticSum(p, labels, classes);
        var point = D(z);
        float[] analytic = r.Take(d);
        for (int k = 0; k < point.Length; k++)
            AssertGradient(DoubleMath.Central(point, k, H, f), analytic[k], $"d{loss}[{k}]");
        Assert.Equal(f(point) / scale, r.Take(sum)[0], 4);
    }

    [Theory]
    [InlineData(Activation.Relu, LossKind.CrossEntropy)]
    [InlineData(Activation.Sigmoid, LossKind.CrossEntropy)]
    [InlineData(Activation.Tanh, LossKind.CrossEntropy)]
    [InlineData(Activation.Relu, LossKind.Quadratic)]
    [InlineData(Activation.Sigmoid, LossKind.Quadratic)]
    [InlineData(Activation.Tanh, LossKind.Quadratic)]
    public void Whole_network_gradient_matches_central_differences(Activation hidden, LossKind loss)
    {
        var spec = new MlpSpec([9, 7, 6, 4], hidden, loss);
        var model = MlpModel.Initialize(spec, seed: 5);
        // Non-zero biases so every bias gradient path is exercised.
        var random = new Random(6);
        for (int k = model.Layout.WeightCount; k < model.Layout.Count; k++) model.Parameters[k] = random.NextSingle() * 0.2f - 0.1f;
        const int batch = 5;
        float[] x = TestData.Uniform(random, batch * spec.Inputs, 0, 1);
        int[] labels = TestData.Labels(random, batch, spec.Outputs);

        using var backend = new ReferenceBackend();
        using var network = new DeviceNetwork(backend, model, batch, OptimizerKind.Sgd);
        backend.Upload<float>(x, network.Input.View(0, x.Length));
        backend.Upload<int>(labels, network.Targets.View(0, batch));
        var input = network.Input.View(0, x.Length);
        network.Forward(input, batch);
        network.Loss(network.Targets.View(0, batch), batch, 1f / batch);
        network.Backward(input, batch);
        var analytic = new float[model.Layout.Count];
        backend.Download(network.Gradients.View(), analytic);

        var point = D(model.Parameters);
        double[] xd = D(x);
        var sample = new Random(7);
        for (int l = 0; l < spec.Layers; l++)
            foreach (var (offset, length, name) in new[]
                     {
                         (model.Layout.WeightOffset(l), model.Layout.WeightLength(l), $"W{l}"),
                         (model.Layout.BiasOffset(l), model.Layout.BiasLength(l), $"b{l}"),
                     })
                for (int t = 0; t < 6; t++)
                {
                    int k = offset + sample.Next(length);
                    double numeric = DoubleMath.Central(point, k, H, p => DoubleMath.NetworkLoss(spec, p, xd, labels));
                    AssertGradient(numeric, analytic[k], $"{name}[{k - offset}] ({hidden}, {loss})");
                }
    }
}
