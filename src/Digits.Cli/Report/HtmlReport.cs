using System.Globalization;
using System.Security;
using System.Text;
using Digits.Core.Model;

namespace Digits.Cli.Report;

/// <summary>
/// Writes a self-contained report (<c>index.html</c>: XHTML with inline SVG and images as data URIs, no scripts,
/// nothing fetched): loss and accuracy curves per epoch, the confusion matrix as a heat map, and a gallery of
/// misclassified test digits with true label, predicted label and confidence. The figures are also in
/// <c>data-*</c> attributes so tests can check them against the evaluation.
/// </summary>
internal static class HtmlReport
{
    private const int GalleryLimit = 60;

    /// <summary>Writes <c>index.html</c> into <paramref name="folder"/> (created if missing), atomically: to a
    /// temporary file beside it, renamed over it; a killed run's temporary is removed by the next report there.</summary>
    /// <returns>The path written.</returns>
    public static string Write(string folder, ReportData data)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "index.html"), temp = OutputFile.TemporaryPath(path);
        if (OutputFile.NotARegularFile(path) is { } kind)
            throw new IOException($"{path} is {kind}, not a regular file; it is never replaced");
        OutputFile.RemoveStaleTemporaries(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false));
                writer.Write(Render(data));
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
        return path;
    }

    public static string Render(ReportData d)
    {
        var t = d.Test;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>");
        html.Append($"<title>Digits report: {E(d.Spec.ToString())}</title><style>{Css}</style></head><body>");
        html.Append($"<h1>{E(d.Spec.ToString())}</h1>");
        html.Append($"<p class=\"summary\" data-accuracy=\"{F(t.Accuracy)}\" data-loss=\"{F(t.Loss)}\" data-images=\"{t.Count}\">" +
                    $"{E(d.ModelName)} on <b>{E(t.Name)}</b>: accuracy <b>{t.Accuracy:0.00%}</b> ({t.Correct}/{t.Count}), " +
                    $"loss {t.Loss:0.0000}</p>");
        if (d.Settings.Count > 0)
        {
            html.Append("<h2>Settings</h2><table class=\"settings\">");
            foreach (var (label, value) in d.Settings)
                html.Append($"<tr data-setting=\"{E(label)}\"><th>{E(label)}</th><td>{E(value)}</td></tr>");
            html.Append("</table>");
        }
        if (d.History.Count > 0)
        {
            html.Append("<h2>Training</h2><div class=\"charts\">");
            html.Append(Chart("Loss per epoch (mean per image)", d.History, [("train", "#1f77b4", p => p.TrainLoss),
                ("validation", "#2ca02c", p => p.ValidationLoss), ("test", "#d62728", p => p.TestLoss)], percent: false));
            html.Append(Chart("Accuracy per epoch", d.History, [("train", "#1f77b4", p => p.TrainAccuracy),
                ("validation", "#2ca02c", p => p.ValidationAccuracy), ("test", "#d62728", p => p.TestAccuracy)], percent: true));
            html.Append("</div>");
        }
        html.Append("<h2>Confusion matrix</h2><p>Rows: true class; columns: predicted class; shade: share of the row.</p>");
        html.Append(HeatMap(t.ConfusionMatrix(), t.ClassNames));
        html.Append(Gallery(d));
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static string Chart(string title, IReadOnlyList<EpochPoint> history,
        (string Name, string Color, Func<EpochPoint, double?> Value)[] series, bool percent)
    {
        const int w = 460, h = 260, left = 56, right = 100, top = 28, bottom = 36;
        var values = history.SelectMany(p => series.Select(s => s.Value(p))).Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToList();
        if (values.Count == 0) return "";
        double lo = values.Min(), hi = values.Max();
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        double pad = (hi - lo) * 0.05;
        lo = values.Min() >= 0 ? Math.Max(0, lo - pad) : lo - pad; // losses and accuracies never go below 0
        hi = percent ? Math.Min(1, hi + pad) : hi + pad;           // nor accuracies above 100 %
        int first = history[0].Epoch, last = history[^1].Epoch;
        double X(int epoch) => left + (last == first ? (w - left - right) / 2.0 : (epoch - first) * (w - left - right) / (double)(last - first));
        double Y(double v) => top + (hi - v) * (h - top - bottom) / (hi - lo);
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{E(title)}\">");
        svg.Append($"<text x=\"{w / 2}\" y=\"16\" text-anchor=\"middle\" class=\"title\">{E(title)}</text>");
        for (int k = 0; k <= 4; k++)
        {
            double v = lo + (hi - lo) * k / 4, y = Y(v);
            svg.Append($"<line x1=\"{left}\" x2=\"{w - right}\" y1=\"{F(y)}\" y2=\"{F(y)}\" class=\"grid\"/>");
            svg.Append($"<text x=\"{left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{(percent ? v.ToString("0.0%", CultureInfo.InvariantCulture) : v.ToString("0.000", CultureInfo.InvariantCulture))}</text>");
        }
        foreach (var p in history)
            svg.Append($"<text x=\"{F(X(p.Epoch))}\" y=\"{h - bottom + 16}\" text-anchor=\"middle\">{p.Epoch}</text>");
        svg.Append($"<text x=\"{(left + w - right) / 2}\" y=\"{h - 4}\" text-anchor=\"middle\">epoch</text>");
        int legend = 0;
        foreach (var (name, color, value) in series)
        {
            var points = history.Where(p => value(p) is { } v && double.IsFinite(v)).ToList();
            if (points.Count == 0) continue;
            string path = string.Join(" ", points.Select(p => $"{F(X(p.Epoch))},{F(Y(value(p)!.Value))}"));
            svg.Append($"<polyline points=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" data-series=\"{name}\"/>");
            foreach (var p in points)
                svg.Append($"<circle cx=\"{F(X(p.Epoch))}\" cy=\"{F(Y(value(p)!.Value))}\" r=\"3\" fill=\"{color}\"/>");
            svg.Append($"<rect x=\"{w - right + 12}\" y=\"{top + legend * 18}\" width=\"12\" height=\"3\" fill=\"{color}\"/>" +
                       $"<text x=\"{w - right + 30}\" y=\"{top + legend * 18 + 5}\">{name}</text>");
            legend++;
        }
        return svg.Append("</svg>").ToString();
    }

    private static string HeatMap(int[,] m, IReadOnlyList<string> names)
    {
        // Column labels: upright when short (digits), else slanted at 45°, with exactly the room they need above
        // the grid (about 6 px per character at 11 px, times sin 45°), so digit classes leave no blank band.
        int n = names.Count, cell = 44, longest = names.Max(s => s.Length), label = Math.Max(48, 16 + 7 * longest);
        bool slanted = longest > 3;
        int top = slanted ? 20 + (int)Math.Ceiling(longest * 6.2 * 0.71) : 34;
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{label + n * cell + (slanted ? 70 : 10)}\" height=\"{top + n * cell + 10}\" class=\"heatmap\">");
        svg.Append($"<text x=\"{label + n * cell / 2}\" y=\"12\" text-anchor=\"middle\" class=\"axis\">predicted →</text>");
        svg.Append($"<text x=\"{label - 6}\" y=\"{top - 6}\" text-anchor=\"end\" class=\"axis\">true ↓</text>");
        for (int p = 0; p < n; p++)
            svg.Append(slanted
                ? $"<text transform=\"translate({label + p * cell + cell / 2 + 4},{top - 6}) rotate(-45)\">{E(names[p])}</text>"
                : $"<text x=\"{label + p * cell + cell / 2 - 1}\" y=\"{top - 6}\" text-anchor=\"middle\">{E(names[p])}</text>");
        for (int t = 0; t < n; t++)
        {
            int rowTotal = Enumerable.Range(0, n).Sum(p => m[t, p]);
            svg.Append($"<text x=\"{label - 6}\" y=\"{top + t * cell + cell / 2 + 4}\" text-anchor=\"end\">{E(names[t])}</text>");
            for (int p = 0; p < n; p++)
            {
                double share = rowTotal == 0 ? 0 : (double)m[t, p] / rowTotal;
                string fill = t == p ? $"rgba(31,119,180,{F(0.15 + 0.85 * share)})" : $"rgba(214,39,40,{F(Math.Min(1, 0.05 + 8 * share))})";
                svg.Append($"<rect x=\"{label + p * cell}\" y=\"{top + t * cell}\" width=\"{cell - 2}\" height=\"{cell - 2}\" fill=\"{fill}\" " +
                           $"data-true=\"{t}\" data-predicted=\"{p}\" data-count=\"{m[t, p]}\"><title>true {E(names[t])}, predicted {E(names[p])}: {m[t, p]}</title></rect>");
                if (m[t, p] > 0)
                    svg.Append($"<text x=\"{label + p * cell + cell / 2 - 1}\" y=\"{top + t * cell + cell / 2 + 4}\" text-anchor=\"middle\" class=\"count\"{(t == p ? " style=\"fill:#fff\"" : "")}>{m[t, p]}</text>");
            }
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Gallery(ReportData d)
    {
        var t = d.Test;
        var wrong = Enumerable.Range(0, t.Count).Where(k => t.Predictions![k] != t.Labels[k])
            .OrderByDescending(k => d.Probabilities[k][t.Predictions![k]]).ToList();
        var html = new StringBuilder($"<h2>Misclassified test images</h2><p>{wrong.Count} of {t.Count} images; the {Math.Min(GalleryLimit, wrong.Count)} " +
                                     "the model was most sure about are shown, most confident first.</p><div class=\"gallery\">");
        foreach (int k in wrong.Take(GalleryLimit))
        {
            int predicted = t.Predictions![k];
            float confidence = d.Probabilities[k][predicted];
            html.Append($"<figure data-index=\"{k}\" data-true=\"{t.Labels[k]}\" data-predicted=\"{predicted}\">" +
                        $"<img alt=\"test image {k}\" src=\"data:image/bmp;base64,{Bitmap.Gray(d.TestSet.Image(k), d.TestSet.Width, d.TestSet.Height)}\"/>" +
                        $"<figcaption>#{k}: true <b>{E(t.ClassNames[t.Labels[k]])}</b>, predicted <b>{E(t.ClassNames[predicted])}</b> ({confidence:0%})</figcaption></figure>");
        }
        return html.Append("</div>").ToString();
    }

    private const string Css = "body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}" +
        "h1{font-size:22px}h2{font-size:18px;margin-top:28px}.charts{display:flex;flex-wrap:wrap;gap:16px}" +
        "svg text{font-size:11px;fill:#333}svg .title{font-size:13px;font-weight:600}.grid{stroke:#e4e4e4}" +
        ".heatmap .count{font-size:11px}.heatmap .axis{font-style:italic;fill:#666}" +
        ".settings{border-collapse:collapse;font-size:13px}.settings th{text-align:left;font-weight:normal;color:#555;padding:2px 16px 2px 0}" +
        ".settings td{padding:2px 0}.gallery{display:flex;flex-wrap:wrap;gap:10px}" +
        "figure{margin:0;width:96px;text-align:center;font-size:11px}figure img{width:84px;height:84px;image-rendering:pixelated;border:1px solid #ccc}";

    private static string E(string text) => SecurityElement.Escape(text);

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}
