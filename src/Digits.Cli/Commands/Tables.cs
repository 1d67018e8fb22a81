using Spectre.Console;
using Spectre.Console.Rendering;

namespace Digits.Cli.Commands;

/// <summary>Terminal tables (Spectre.Console) written to any <see cref="TextWriter"/>: colors only on a terminal.</summary>
internal static class Tables
{
    /// <summary>Per-class precision, recall, F1 and support, then the confusion matrix (rows: true class,
    /// columns: predicted class), with class names.</summary>
    public static void WriteEvaluation(TextWriter output, IReadOnlyList<string> classNames,
        (double Precision, double Recall, double F1, int Support)[] metrics, int[,] confusion)
    {
        var console = Console(output);
        var perClass = new Table().Border(TableBorder.Rounded).Title("per class");
        perClass.AddColumn("class");
        foreach (string h in new[] { "precision", "recall", "F1", "images" }) perClass.AddColumn(new TableColumn(h).RightAligned());
        for (int c = 0; c < metrics.Length; c++)
            perClass.AddRow(Markup.Escape(Label(classNames, c)), $"{metrics[c].Precision:0.00%}", $"{metrics[c].Recall:0.00%}",
                $"{metrics[c].F1:0.0000}", $"{metrics[c].Support}");
        double macroF1 = metrics.Average(m => m.F1);
        perClass.Caption($"macro-average F1 {macroF1:0.0000}");
        console.Write(perClass);

        // Rows and columns are labelled by class index so that ten columns of counts fit in 80 columns; where the
        // classes have names (Fashion-MNIST, KMNIST) a legend under the matrix says which index is which.
        int n = classNames.Count;
        var matrix = new Table().Border(TableBorder.Simple).Title("confusion matrix (rows: true class, columns: predicted)");
        matrix.AddColumn("true");
        for (int p = 0; p < n; p++) matrix.AddColumn(new TableColumn(p.ToString()).RightAligned());
        for (int t = 0; t < n; t++)
        {
            var cells = new List<IRenderable> { new Markup(t.ToString()) };
            for (int p = 0; p < n; p++)
                cells.Add(new Markup(t == p ? $"[green]{confusion[t, p]}[/]" : confusion[t, p] == 0 ? "[grey]·[/]" : $"{confusion[t, p]}"));
            matrix.AddRow(cells);
        }
        console.Write(matrix);
        if (Enumerable.Range(0, n).Any(k => classNames[k] != k.ToString()))
            foreach (string line in Legend(classNames, 80)) output.WriteLine(line);
    }

    /// <summary>"classes: 0 T-shirt/top, 1 Trouser, …" wrapped to <paramref name="width"/> columns.</summary>
    internal static IEnumerable<string> Legend(IReadOnlyList<string> classNames, int width)
    {
        string line = "classes:";
        for (int k = 0; k < classNames.Count; k++)
        {
            string item = $" {k} {TerminalText.Escape(classNames[k])}" + (k + 1 < classNames.Count ? "," : "");
            if (line.Length + item.Length > width)
            {
                yield return line;
                line = "        ";
            }
            line += item;
        }
        yield return line;
    }

    private static string Label(IReadOnlyList<string> names, int index) =>
        names[index] == index.ToString() ? names[index] : $"{index} {TerminalText.Escape(names[index])}";

    private static IAnsiConsole Console(TextWriter output)
    {
        bool terminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
    }
}
