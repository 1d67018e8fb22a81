namespace Digits.Core.Data;

/// <summary>How a <see cref="DataFileInfo.Checksum"/> is computed.</summary>
public enum ChecksumKind
{
    /// <summary>SHA-256, lower-case hex (64 digits).</summary>
    Sha256,

    /// <summary>MD5, lower-case hex (32 digits); used only where the publisher gives no SHA-256 (KMNIST).</summary>
    Md5,
}

/// <summary>One published file of a dataset: its name and its checksum (lower-case hex, of the file as
/// published, i.e. of the .gz bytes).</summary>
public sealed record DataFileInfo(string FileName, string Checksum);

/// <summary>
/// A named dataset in the IDX layout: <paramref name="Name"/> as <see cref="DatasetSpec.Parse"/> reads it, the
/// <paramref name="Folder"/> its files live in under the data root, class names in label order, the URL the
/// four files are downloaded from (<paramref name="BaseUrl"/> + file name; it ends with '/'), and each file's
/// checksum. For tests, <c>info with { BaseUrl = … }</c> points it at another server.
/// </summary>
public sealed record DatasetInfo(string Name, string Folder, IReadOnlyList<string> ClassNames, Uri BaseUrl,
    ChecksumKind ChecksumKind, IReadOnlyList<DataFileInfo> Files)
{
    /// <summary>The file named <paramref name="fileName"/> (one of <see cref="DatasetCatalog.FileNames"/>).
    /// </summary>
    /// <exception cref="ArgumentException">the dataset has no such file.</exception>
    public DataFileInfo File(string fileName) => Files.FirstOrDefault(f => f.FileName == fileName)
        ?? throw new ArgumentException($"{Name} has no file {fileName}", nameof(fileName));

    /// <summary>Where <paramref name="fileName"/> is downloaded from.</summary>
    public Uri UrlOf(string fileName) => new(BaseUrl, fileName);

    /// <summary>"SHA-256" or "MD5", for messages.</summary>
    public string ChecksumName => Checksums.Name(ChecksumKind);

    public override string ToString() => Name;
}

/// <summary>
/// The named datasets Digits knows: <see cref="Mnist"/>, <see cref="FashionMnist"/>, <see cref="Kmnist"/>. All use the
/// same four IDX file names (<see cref="FileNames"/>), 28×28 images, 10 classes, 60000 training and 10000 test
/// images. Checksums are those of shared/data/README.md (MD5s: torchvision's dataset definitions; SHA-256s: checked
/// against TensorFlow Datasets).
/// </summary>
public static class DatasetCatalog
{
    public const string TrainImages = "train-images-idx3-ubyte.gz";
    public const string TrainLabels = "train-labels-idx1-ubyte.gz";
    public const string TestImages = "t10k-images-idx3-ubyte.gz";
    public const string TestLabels = "t10k-labels-idx1-ubyte.gz";

    /// <summary>Training images in every named dataset (test: 10000).</summary>
    public const int TrainCount = 60000;

    /// <summary>The four file names, in the order train images, train labels, test images, test labels.</summary>
    public static IReadOnlyList<string> FileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>MNIST (LeCun, Cortes, Burges): handwritten digits "0".."9". Verified by SHA-256.</summary>
    public static DatasetInfo Mnist { get; } = new("mnist", "mnist", CsvDigitReader.DigitClassNames,
        new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"), ChecksumKind.Sha256, Files(
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"));

    /// <summary>Fashion-MNIST (Zalando Research): clothing in 10 classes. Verified by SHA-256.</summary>
    public static DatasetInfo FashionMnist { get; } = new("fashion-mnist", "fashion-mnist",
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"), ChecksumKind.Sha256, Files(
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"));

    /// <summary>Kuzushiji-MNIST (CODH): 10 cursive hiragana. Verified by <b>MD5</b>, not SHA-256: the only
    /// published checksums we could confirm for KMNIST are the MD5s in torchvision's dataset definition, and the
    /// files were not available to compute a SHA-256 from. MD5 still catches a corrupted or changed download; it
    /// is not a defence against a deliberately forged file.</summary>
    public static DatasetInfo Kmnist { get; } = new("kmnist", "kmnist",
        ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
        new Uri("http://codh.rois.ac.jp/kmnist/dataset/kmnist/"), ChecksumKind.Md5, Files(
            "bdb82020997e1d708af4cf47b453dcf7",
            "e144d726b3acfaa3e44228e80efcd344",
            "5c965bf0a639b31b8f53240b1b52f4d7",
            "7320c461ea6c1c855c0b718fb2a4b134"));

    /// <summary>Every named dataset, in the order help text lists them.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } = [Mnist, FashionMnist, Kmnist];

    /// <summary>The dataset called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static DatasetInfo? Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));

    private static DataFileInfo[] Files(params string[] checksums) =>
        FileNames.Select((name, i) => new DataFileInfo(name, checksums[i])).ToArray();
}
