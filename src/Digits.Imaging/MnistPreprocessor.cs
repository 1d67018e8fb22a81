namespace Digits.Imaging;

/// <summary>
/// Turns an arbitrary picture of one digit — a scan, a drawing, or a phone photo of paper — or of a written number
/// into what an MNIST model expects, in two steps: the picture is made clean and its digit found
/// (<see cref="PhotoCleanup"/>: shrunk to at most 640 pixels a side, made dark ink on light paper, uneven light
/// divided out, ruled lines removed, the digit chosen as the largest connected ink with what lies near it), then
/// framed by MNIST's own recipe (<see cref="MnistFraming"/>: cropped, scaled to a 20-pixel box, centered by mass in
/// 28×28). A picture with no ink that stands out from the paper gives <see cref="PreparedDigit.Problem"/>.
/// </summary>
public static class MnistPreprocessor
{
    /// <summary>Preprocesses <paramref name="image"/>; returns (28·28) row-major ink levels in [0, 1], 1 = ink.
    /// An image with no ink gives all zeros.</summary>
    public static float[] Process(GrayImage image) => Prepare(image).Field;

    /// <summary>Preprocesses <paramref name="image"/>, saying why when no digit is found.</summary>
    public static PreparedDigit Prepare(GrayImage image)
    {
        var (ink, w, h, problem) = PhotoCleanup.FindInk(image);
        return problem is not null
            ? new PreparedDigit(new float[MnistFraming.Side * MnistFraming.Side], problem)
            : MnistFraming.Fit(ink, w, h);
    }

    /// <summary>Reads a written number: its digits left to right, each made MNIST-like on its own, found by
    /// segmentation by recognition (<see cref="NumberSegmentation"/>): digits that touch are cut where both sides read
    /// as confident digits, the pieces of a broken digit joined when together they read more confidently.
    /// <paramref name="probabilities"/> is the classifier: N fields (N·28·28 row-major, as <see cref="Prepare"/> gives
    /// them) → N rows of class probabilities; <paramref name="reject"/> is the index of its reject class
    /// (<see cref="NotADigit"/>), −1 when it has none. Empty, with the reason, when no digit is found.</summary>
    public static (List<PreparedDigit> Digits, string? Problem) PrepareNumber(GrayImage image, Func<float[], float[][]> probabilities,
        int reject = -1)
    {
        var (ink, mask, w, h, problem) = PhotoCleanup.Clean(image);
        if (problem is not null) return ([], problem);
        var parts = InkComponents.Find(mask, w, h);
        if (parts.Count == 0) return ([], "no ink stands out from the background (is there a number?)");
        if (parts.Max(c => c.Pixels.Count) < Math.Max(12, (long)w * h / 4000))
            return ([], "no digit found: only specks stand out from the background");
        return (NumberSegmentation.Read(ink, mask, w, h, probabilities, reject), null);
    }
}
