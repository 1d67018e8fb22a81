using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("train", HelpText = "Train a multilayer perceptron and save it as a safetensors model file.")]
internal sealed class TrainVerb : DeviceOptions, IDataOptions
{
    [Option("dataset", HelpText = "mnist, fashion-mnist, kmnist, csv:PATH[,TESTPATH] (Kaggle digit-recognizer layout; without TESTPATH a seeded 10 % of PATH is held out as the test set), or folder:DIR (your own images: one sub-folder per class, DIR/0/*.jpg … DIR/9/*.png, or DIR/train/<class> and DIR/test/<class>; without test/ a seeded 10 % of each class is held out; every image gets predict's clean-up, and the prepared 28×28 images are cached in DIR/.digits-prepared.safetensors).")]
    [Topic("Data", "mnist")]
    public string? Dataset { get; set; }

    [Option("data", MetaValue = "DIR", HelpText = "Folder holding the dataset files. Else $DIGITS_DATA, else ~/.cache/digits (downloaded there when missing).")]
    [Topic("Data", "$DIGITS_DATA or ~/.cache/digits")]
    public string? Data { get; set; }

    [Option("no-download", HelpText = "Fail instead of downloading missing dataset files.")]
    [Topic("Data", "off")]
    public bool NoDownload { get; set; }

    [Option("skip-bad", HelpText = "For folder:DIR: report and leave out the images that cannot be read (or show no digit) instead of stopping at the first.")]
    [Topic("Data", "off")]
    public bool SkipBad { get; set; }

    [Option("reject-class", HelpText = "Give the model an 11th class, 'not a digit', for predict --number (LeCun et al. 1998, section V: the recognizer learns what a wrong segmentation looks like). Numbers are made of the training digits (three digits in ten with a broken stroke) and cut into candidates as predict --number cuts them; candidates that are not one whole digit are labelled 'not a digit', and as many that are, their digit: half the training set's size in all (30,000 images for MNIST, about 50 s to make on 2 cores). predict --number then counts the class against every digit and prints the best of the ten. For 28×28 digit datasets.")]
    [Topic("Data", "off")]
    public bool RejectClass { get; set; }

    [Option("validation", HelpText = "Hold out N training images (chosen with --seed) for per-epoch validation.")]
    [Topic("Data", "0", Expected = "a whole number ≥ 0")]
    public int? Validation { get; set; }

    [Option("preset", HelpText = "A known recipe; explicit flags override its values. Test accuracy measured on MNIST (seed 1, cpu): nielsen = 784-30-10 sigmoid, quadratic cost, SGD lr 3.0, batch 10, 30 epochs (Nielsen's book, ch. 1), 95.9 %; quick = 784-128-10, Adam lr 0.005, 3 epochs, 97.8 %; speedrun = 784-256-10, Adam lr 0.003 cosine, batch 64, 3 epochs, 98.09 %; deep = 784-512-256-128-10, Adam lr 0.001 cosine, weight decay 1e-4, 20 epochs, 98.5 %; best = 784-2048-2048-10, dropout 0.5 (input 0.2), Adam lr 0.001 cosine, 60 epochs, 98.95 % (mean of seeds 1-3); augmented = 784-1024-1024-10, affine + elastic augmentation, Adam lr 0.001 cosine, 150 epochs, 99.51 % (mean of seeds 1-3; about 20 minutes on one core).")]
    [Topic("Model")]
    public string? Preset { get; set; }

    [Option("init", MetaValue = "MODEL", HelpText = InitHelp)]
    [Topic("Model", "off")]
    public string? Init { get; set; }

    /// <summary>--init's help: what fine-tuning keeps, and its defaults with the reason for each.</summary>
    public const string InitHelp = "Fine-tune: start from this trained model's weights and architecture instead of random ones (--layers, --activation, --loss and --preset are refused; the optimizer state starts fresh; the new model's metadata records the file and its SHA-256 as init_from and init_sha256). The data's images must be the model's size and its classes the model's: a folder:DIR's class folders are matched to the model's class names, so a folder of only some digits is fine. The defaults change to suit a few dozen images per class: --lr 0.0001, because Adam's fresh moments move every weight by about the learning rate at each step, and a fresh run's 0.001 (even 0.0003) unlearns MNIST within a few dozen steps; --batch-size 32, so that a small folder still gives about ten steps per epoch; --epochs 5, by when the new images are learnt (more epochs only drift from the old ones). Measured on typed digits: 95.4 % -> 97.1 % on unseen fonts, MNIST 98.21 % -> 98.01 % (see the README).";

    [Option("layers", HelpText = "Hidden layer widths, comma-separated, e.g. 256,128.")]
    [Topic("Model", "256,128")]
    public string? Layers { get; set; }

    [Option("activation", HelpText = "Hidden activation: relu, sigmoid or tanh. Weights start He-normal for relu, Glorot-uniform otherwise.")]
    [Topic("Model", "relu")]
    public string? Activation { get; set; }

    [Option("loss", HelpText = "cross-entropy (softmax outputs, stable log-softmax) or mse (sigmoid outputs, quadratic cost).")]
    [Topic("Model", "cross-entropy")]
    public string? Loss { get; set; }

    [Option("epochs", HelpText = "Passes over the training set.")]
    [Topic("Training", "10", Expected = "a whole number ≥ 1")]
    public int? Epochs { get; set; }

    [Option("batch-size", HelpText = "Images per mini-batch; at least the training set size means full-batch gradient descent.")]
    [Topic("Training", "128", Expected = "a whole number ≥ 1")]
    public int? BatchSize { get; set; }

    [Option("optimizer", HelpText = "sgd, momentum or adam.")]
    [Topic("Training", "adam")]
    public string? Optimizer { get; set; }

    [Option("lr", HelpText = "Learning rate (the peak, before the schedule).")]
    [Topic("Training", "0.001", Expected = "a number > 0, e.g. 0.001")]
    public float? LearningRate { get; set; }

    [Option("lr-schedule", HelpText = "constant, step (×--lr-gamma every --lr-step-epochs) or cosine (annealed to 0 over the run).")]
    [Topic("Training", "cosine")]
    public string? Schedule { get; set; }

    [Option("lr-step-epochs", HelpText = "For --lr-schedule step: epochs between decays.")]
    [Topic("Training", "10", Expected = "a whole number ≥ 1")]
    public int? StepEpochs { get; set; }

    [Option("lr-gamma", HelpText = "For --lr-schedule step: the decay factor.")]
    [Topic("Training", "0.1", Expected = "a number > 0, e.g. 0.1")]
    public float? StepGamma { get; set; }

    [Option("momentum", HelpText = "Momentum μ for --optimizer momentum.")]
    [Topic("Training", "0.9", Expected = "a number in [0, 1), e.g. 0.9")]
    public float? Momentum { get; set; }

    [Option("weight-decay", HelpText = "L2 weight decay λ on weights (not biases).")]
    [Topic("Training", "0", Expected = "a number ≥ 0, e.g. 1e-4")]
    public float? WeightDecay { get; set; }

    [Option("dropout", MetaValue = "P[,P…]", HelpText = "Inverted dropout on the hidden layers' outputs while training (Srivastava et al. 2014): each output is zeroed with probability P and the rest scaled by 1/(1−P); off at evaluation. One rate for every hidden layer, or one per layer. The masks are drawn by Philox4x32-10 from (seed, step, layer, element): the same on every device.")]
    [Topic("Regularization", "0 (off)", Expected = "rates in [0, 1), e.g. 0.5 or 0.5,0.3")]
    public string? Dropout { get; set; }

    [Option("input-dropout", MetaValue = "P", HelpText = "Dropout on the input pixels while training (the dropout paper uses 0.2).")]
    [Topic("Regularization", "0 (off)", Expected = "a number in [0, 1), e.g. 0.2")]
    public float? InputDropout { get; set; }

    [Option("max-norm", MetaValue = "C", HelpText = "After every step, rescale each unit's incoming weight vector to L2 norm C when it is longer (the dropout paper pairs it with dropout, C = 3–4).")]
    [Topic("Regularization", "0 (off)", Expected = "a number ≥ 0, e.g. 3.5")]
    public float? MaxNorm { get; set; }

    [Option("augment", MetaValue = "KINDS", HelpText = "Distort every training image afresh each epoch, on the device: affine (random rotation, scale, shear, shift), elastic (Simard et al. 2003: a random displacement field smoothed by a Gaussian of width --elastic-sigma, scaled by --elastic-alpha), affine,elastic, or none. digits augment shows what the flags do.")]
    [Topic("Augmentation", "none")]
    public string? Augment { get; set; }

    [Option("rotate", MetaValue = "DEG", HelpText = "Affine: rotation drawn uniformly in ±DEG degrees.")]
    [Topic("Augmentation", "15", Expected = "degrees in [0, 180]")]
    public float? Rotate { get; set; }

    [Option("scale", MetaValue = "S", HelpText = "Affine: scale drawn uniformly in [1−S, 1+S].")]
    [Topic("Augmentation", "0.15", Expected = "a number in [0, 1), e.g. 0.15")]
    public float? Scale { get; set; }

    [Option("shear", MetaValue = "DEG", HelpText = "Affine: horizontal shear angle drawn uniformly in ±DEG degrees.")]
    [Topic("Augmentation", "10", Expected = "degrees in [0, 45]")]
    public float? Shear { get; set; }

    [Option("translate", MetaValue = "PX", HelpText = "Affine: shift drawn uniformly in ±PX pixels on each axis.")]
    [Topic("Augmentation", "2", Expected = "pixels in [0, 28]")]
    public float? Translate { get; set; }

    [Option("elastic-sigma", MetaValue = "PX", HelpText = "Elastic: width σ of the Gaussian that smooths the displacement field (larger = smoother, more global bends).")]
    [Topic("Augmentation", "6", Expected = "pixels in (0, 10]")]
    public float? ElasticSigma { get; set; }

    [Option("elastic-alpha", MetaValue = "PX", HelpText = "Elastic: strength α, the factor on the smoothed field (Simard 2003 used 34 with σ = 4).")]
    [Topic("Augmentation", "36", Expected = "pixels in [0, 100]")]
    public float? ElasticAlpha { get; set; }

    [Option("seed", HelpText = "Seeds weights, shuffles and splits: same seed, device and threads give bit-identical CPU runs.")]
    [Topic("Training", "1")]
    public ulong? Seed { get; set; }

    [Option("report", MetaValue = "DIR", HelpText = "Also write a self-contained HTML report (curves, confusion heat map, misclassified digits) into this folder.")]
    [Topic("Output")]
    public string? Report { get; set; }

    [Option("output", MetaValue = "FILE", HelpText = "Where to save the model (safetensors). Written to a temporary file and renamed; only a regular file is written or replaced (a device such as /dev/null, a pipe or a folder is refused).")]
    [Topic("Output", "model.safetensors")]
    public string? Output { get; set; }

    /// <summary>A copy with the same flag values.</summary>
    public TrainVerb Copy() => (TrainVerb)MemberwiseClone();

    [Option("checkpoint", MetaValue = "DIR", HelpText = "After every epoch, and when interrupted (Ctrl-C, SIGTERM), save the weights, optimizer state, RNG state and position into DIR (created if missing). Each save is atomic and the previous checkpoint is kept until the new one is complete.")]
    [Topic("Checkpoints", "off")]
    public string? Checkpoint { get; set; }

    [Option("resume", MetaValue = "DIR", HelpText = "Continue the run checkpointed in DIR from its last complete checkpoint, with its settings, device and thread count: flags that would change the training, and a --device or --threads other than the run's, are refused; --data, --output, --report and --checkpoint may be given. On the CPU the result is bit-identical to an uninterrupted run. Checkpoints keep going to DIR unless --checkpoint says otherwise.")]
    [Topic("Checkpoints", "off")]
    public string? Resume { get; set; }
}
