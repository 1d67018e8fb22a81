using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Digits.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Digits.TorchSharpTwin;

/// <summary>
/// TorchSharp twin of <c>digits bench</c> (and of <c>benchmarks/pytorch/twin.py</c>): the same three MLP training
/// runs on libtorch's CPU kernels, timed the same way. Each configuration must stay identical to the Digits bench
/// presets (layer sizes, activations, loss, optimizer, learning rate, mini-batch size); change both or neither.
/// <para>An epoch is a fresh <c>randperm</c>, then per mini-batch (the partial last one included) an
/// <c>index_select</c> gather from tensors loaded once (counted as training time, as in Digits), forward, loss,
/// backward, optimizer step, <c>zero_grad</c>. Warm-up epochs are not timed; test accuracy is evaluated once
/// afterwards, untimed.</para>
/// <para><c>dotnet run -c Release --project benchmarks/torchsharp -- [--threads 2] [--epochs 3] [--warmup 1]
/// [--config small,large,nielsen] [--data DIR] [--json]</c>; the data folder defaults to <c>$DIGITS_DATA</c>
/// and holds <c>mnist/</c>.</para>
/// </summary>
public static class Program
{
    private sealed record Config(string Name, int[] Sizes, bool Sigmoid, bool Adam, double LearningRate, int Batch);

    private static readonly Config[] Configs =
    [
        new("small", [784, 128, 10], false, true, 1e-3, 128),
        new("large", [784, 1024, 1024, 10], false, true, 1e-3, 256),
        new("nielsen", [784, 30, 10], true, false, 3.0, 10),
    ];

    public static int Main(string[] args)
    {
        int threads = 2, epochs = 3, warmup = 1;
        string configs = "small,large,nielsen", data = Environment.GetEnvironmentVariable("DIGITS_DATA") ?? "";
        bool json = false;
        for (int k = 0; k < args.Length; k++)
        {
            switch (args[k])
            {
                case "--threads": threads = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--epochs": epochs = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--config": configs = args[++k]; break;
                case "--data": data = args[++k]; break;
                case "--json": json = true; break;
                default:
                    Console.Error.WriteLine($"torchsharp twin: unknown option {args[k]}");
                    return 2;
            }
        }
        if (data.Length == 0)
        {
            Console.Error.WriteLine("torchsharp twin: set DIGITS_DATA (or --data) to the folder holding mnist/");
            return 2;
        }
        var chosen = new List<Config>();
        var names = configs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string name in names)
        {
            var config = Configs.FirstOrDefault(c => c.Name == name);
            if (config == null)
            {
                Console.Error.WriteLine(
                    $"torchsharp twin: --config: unknown {name}; configs are small, large, nielsen");
                return 2;
            }
            chosen.Add(config);
        }
        torch.set_num_threads(threads);
        string mnist = Path.Combine(data, "mnist");
        var train = Load(mnist, "train");
        var test = Load(mnist, "t10k");
        foreach (var config in chosen)
        {
            var r = Run(config, train, test, epochs, warmup);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["framework"] = "torchsharp", ["torch_version"] = $"libtorch {torch.__version__}",
                    ["device"] = "cpu", ["threads"] = torch.get_num_threads(),
                    ["omp_wait_policy"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
                    ["config"] = config.Name, ["median_epoch_seconds"] = r.Median, ["min_epoch_seconds"] = r.Min,
                    ["max_epoch_seconds"] = r.Max, ["images_per_second"] = 60000 / r.Median,
                    ["test_accuracy"] = r.Accuracy,
                }));
            }
            else
            {
                Console.WriteLine($"{config.Name,-8} cpu threads {torch.get_num_threads()}: " +
                                  $"epoch median {r.Median:F3} s " +
                                  $"(min {r.Min:F3}, max {r.Max:F3}), {60000 / r.Median:N0} images/s, " +
                                  $"test accuracy {100 * r.Accuracy:F2} %");
            }
        }
        return 0;
    }

    /// <summary>Images (N, 784) float32 in [0, 1] and labels (N) int64, through Digits' own IDX reader.</summary>
    private static (Tensor X, Tensor Y) Load(string folder, string part)
    {
        var set = IdxReader.ReadPair(Path.Combine(folder, $"{part}-images-idx3-ubyte.gz"),
            Path.Combine(folder, $"{part}-labels-idx1-ubyte.gz"), part, CsvDigitReader.DigitClassNames);
        var x = tensor(set.Images, [set.Count, set.Features]);
        var y = tensor(set.Labels.Select(l => (long)l).ToArray(), [set.Count]);
        return (x, y);
    }

    private static nn.Module<Tensor, Tensor> Build(Config c)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i + 1 < c.Sizes.Length; i++)
        {
            layers.Add(nn.Linear(c.Sizes[i], c.Sizes[i + 1]));
            if (i < c.Sizes.Length - 2 || c.Sigmoid) // nielsen: sigmoid outputs too
                layers.Add(c.Sigmoid ? nn.Sigmoid() : nn.ReLU());
        }
        return nn.Sequential(layers);
    }

    /// <summary>Mean over the batch of the loss: cross-entropy on logits, or nielsen's ½Σⱼ(aⱼ − onehotⱼ)².
    /// </summary>
    private static Tensor Loss(Config c, Tensor output, Tensor labels)
    {
        if (!c.Sigmoid) return nn.functional.cross_entropy(output, labels);
        var target = nn.functional.one_hot(labels, output.shape[1]).to(output.dtype);
        return 0.5 * (output - target).pow(2).sum() / output.shape[0];
    }

    private static (double Median, double Min, double Max, double Accuracy) Run(Config c, (Tensor X, Tensor Y) train,
        (Tensor X, Tensor Y) test, int epochs, int warmup)
    {
        var model = Build(c);
        var parameters = model.parameters();
        optim.Optimizer opt = c.Adam ? optim.Adam(parameters, c.LearningRate) : optim.SGD(parameters, c.LearningRate);
        model.train();
        for (int e = 0; e < warmup; e++) Epoch(c, model, opt, train);
        var times = new List<double>();
        for (int e = 0; e < epochs; e++)
        {
            long start = Stopwatch.GetTimestamp();
            Epoch(c, model, opt, train);
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        model.eval();
        double accuracy;
        using (no_grad())
        using (NewDisposeScope())
        {
            var predicted = model.forward(test.X).argmax(1);
            accuracy = predicted.eq(test.Y).sum().item<long>() / (double)test.Y.shape[0];
        }
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2]
            : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        return (median, times[0], times[^1], accuracy);
    }

    private static void Epoch(Config c, nn.Module<Tensor, Tensor> model, optim.Optimizer opt,
        (Tensor X, Tensor Y) train)
    {
        long n = train.X.shape[0];
        using var scope = NewDisposeScope();
        var perm = randperm(n);
        for (long start = 0; start < n; start += c.Batch)
        {
            using var step = NewDisposeScope();
            var idx = perm.slice(0, start, Math.Min(n, start + c.Batch), 1);
            var loss = Loss(c, model.forward(train.X.index_select(0, idx)), train.Y.index_select(0, idx));
            loss.backward();
            opt.step();
            opt.zero_grad();
        }
    }
}
