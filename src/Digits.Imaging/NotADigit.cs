using Digits.Core.Data;

namespace Digits.Imaging;

/// <summary>
/// The reject class of segmentation by recognition: an 11th output trained on what a number's segmentation offers the
/// classifier that is not one digit — two neighbouring digits framed as one, a digit with part of its neighbour, and a
/// digit cut in two. LeCun, Bottou, Bengio and Haffner ("Gradient-based learning applied to document recognition",
/// Proc. IEEE 86(11), 1998, §V) train their recognizer on such badly segmented characters as "none of the above"
/// so that the segmentation graph's wrong paths cost more; an MNIST classifier alone reads a merged "01" as a
/// confident 0. The examples are the candidates segmentation finds in numbers made of the training digits
/// (<see cref="Examples"/>): those that are not one digit, and as many that are, framed as segmentation frames them.
/// </summary>
public static class NotADigit
{
    /// <summary>The reject class's name, the last of the model's class names.</summary>
    public const string ClassName = "not a digit";

    /// <summary>Examples added per training image: a half (30,000 for MNIST's 60,000), half of them rejects.</summary>
    public const double Share = 0.5;

    /// <summary>The index of the reject class among <paramref name="classNames"/> (the last, by name); −1 when the
    /// model has none.</summary>
    public static int IndexIn(IReadOnlyList<string> classNames) =>
        classNames.Count > 1 && classNames[^1] == ClassName ? classNames.Count - 1 : -1;

    /// <summary>The most probable class of <paramref name="probabilities"/> other than the reject class at
    /// <paramref name="reject"/> (−1: none): what a digit reads as once segmentation has chosen it.</summary>
    public static int BestDigit(float[] probabilities, int reject)
    {
        int best = reject == 0 ? 1 : 0;
        for (int c = 0; c < probabilities.Length; c++)
            if (c != reject && probabilities[c] > probabilities[best]) best = c;
        return best;
    }

    /// <summary>The splits with the reject class: <see cref="Share"/> of the training set's size in examples made from
    /// its images (<see cref="Examples"/>, seeded by <paramref name="seed"/>; half not one digit, half digits as
    /// segmentation frames them) appended to it; the validation and test sets keep their images and gain the class's
    /// name.</summary>
    /// <exception cref="ArgumentException">the images are not 28×28 or the class is there already.</exception>
    public static DatasetSplits With(DatasetSplits data, ulong seed)
    {
        var train = data.Train;
        if (train.Height != MnistFraming.Side || train.Width != MnistFraming.Side)
            throw new ArgumentException($"{train.Name}: reject examples are made from 28×28 digits, not {train.Height}×{train.Width}");
        if (IndexIn(train.ClassNames) >= 0) throw new ArgumentException($"{train.Name} has a '{ClassName}' class already");
        var names = train.ClassNames.Append(ClassName).ToArray();
        int each = (int)(train.Count * Share / 2), size = train.Features;
        var examples = Examples(train, each, unchecked((int)(seed * 0x9E3779B97F4A7C15UL >> 34)), names.Length - 1);
        var images = new float[(train.Count + examples.Count) * size];
        train.Images.CopyTo(images, 0);
        for (int k = 0; k < examples.Count; k++) examples[k].Field.CopyTo(images, (train.Count + k) * size);
        var labels = train.Labels.Concat(examples.Select(e => e.Label)).ToArray();
        return data with
        {
            Train = new Dataset(train.Name, names, train.Height, train.Width, images, labels),
            Test = Named(data.Test), Validation = data.Validation is { } v ? Named(v) : null,
            Notes = data.Notes.Append($"{each} '{ClassName}' images and {each} digits as a number's segmentation frames " +
                                      "them added for training, from numbers made of the training digits").ToList(),
        };
    }

    /// <summary>How many examples <see cref="With"/> added to <paramref name="train"/>: as many digits as rejects, so
    /// twice the images of the reject class; 0 when it has none.</summary>
    public static int ExamplesIn(Dataset train) =>
        IndexIn(train.ClassNames) is var reject and >= 0 ? 2 * train.Labels.Count(l => l == reject) : 0;

    /// <summary><paramref name="data"/>'s images with the reject class's name after its classes' (no image of it).
    /// </summary>
    public static Dataset Named(Dataset data) =>
        new(data.Name, data.ClassNames.Append(ClassName).ToArray(), data.Height, data.Width, data.Images, data.Labels);

    /// <summary>The examples segmentation offers the classifier in numbers made of <paramref name="source"/>'s digits
    /// (<see cref="NumberSet"/>, from <paramref name="seed"/> on; cuts chosen by ink alone, as there is no classifier
    /// yet): <paramref name="count"/> candidates that are not one digit, labelled <paramref name="rejectLabel"/>, and
    /// <paramref name="count"/> that are one whole digit, labelled as it — each framed as segmentation frames it. A
    /// candidate is one digit when at least 95 % of its ink is that digit's and it holds at least 90 % of the digit's
    /// ink; it is not when less than 90 % is one digit's (a narrow 1 is a tenth to a fifth of a pair's ink) or it holds
    /// less than 75 % of it (the few between are left out).
    /// At most <see cref="RejectsPerNumber"/> of a number's rejects are kept, so they come from many numbers.</summary>
    public static List<(float[] Field, int Label)> Examples(Dataset source, int count, int seed, int rejectLabel)
    {
        var kept = new List<(float[] Field, int Label)>();
        int rejects = 0, digits = 0;
        const int block = 64;
        for (int first = seed; rejects < count || digits < count; first += block)
        {
            var found = new List<(float[] Field, int Label)>[block];
            Parallel.For(0, block, k => found[k] = FromNumber(source, first + k, rejectLabel));
            foreach (var (field, label) in found.SelectMany(f => f))
            {
                bool reject = label == rejectLabel;
                if (reject ? rejects == count : digits == count) continue;
                kept.Add((field, label));
                if (reject) rejects++; else digits++;
            }
        }
        return kept;
    }

    /// <summary>The share of the examples' digits with a broken stroke: three times the number set's
    /// (<see cref="NumberSet.BrokenShare"/>), so that the model sees a digit with a gap in it, and its fragments, often.
    /// </summary>
    public const double BrokenShare = 0.3;

    /// <summary>A number's rejects kept at most (chosen at random among its candidates that are not one digit).</summary>
    public const int RejectsPerNumber = 4;

    /// <summary>The labelled candidates of the number made from <paramref name="seed"/> (2–5 digits).</summary>
    private static List<(float[] Field, int Label)> FromNumber(Dataset source, int seed, int rejectLabel)
    {
        int length = 2 + seed % 4;
        var number = NumberSet.Make(i => source.Image(i).ToArray(), i => source.Labels[i], source.Count, length, seed,
            BrokenShare);
        var (ink, mask, w, h, problem) = PhotoCleanup.Clean(number.Image);
        if (problem is not null || w != number.Image.Width || h != number.Image.Height) return [];
        var totals = new int[length + 1];
        for (int i = 0; i < mask.Length; i++)
            if (mask[i]) totals[number.Owners[i]]++;
        var digits = new List<(float[] Field, int Label)>();
        var rejects = new List<(float[] Field, int Label)>();
        foreach (var c in NumberSegmentation.Candidates(ink, mask, w, h, null, -1).Candidates)
        {
            var counts = new int[length + 1];
            foreach (int i in c.Pixels) counts[number.Owners[i]]++;
            int owner = 1;
            for (int k = 2; k <= length; k++)
                if (counts[k] > counts[owner]) owner = k;
            int known = counts.Skip(1).Sum();
            if (known == 0) continue;
            double share = (double)counts[owner] / known, cover = (double)counts[owner] / totals[owner];
            if (share >= 0.95 && cover >= 0.9) digits.Add((c.Digit.Field, source.Labels[number.Indices[owner - 1]]));
            else if (share < 0.9 || cover < 0.75) rejects.Add((c.Digit.Field, rejectLabel));
        }
        var random = new Random(seed);
        return [.. digits, .. rejects.OrderBy(_ => random.Next()).Take(RejectsPerNumber)];
    }
}
