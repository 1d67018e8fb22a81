using System.Text.RegularExpressions;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Docs;

/// <summary>
/// The documentation lives in the repository and matches it: links and the source files the docs name exist, every
/// project README's layout lists exactly the project's source files, and nothing refers to a file outside the
/// repository (docs/ARCHITECTURE.md, "Documentation").
/// </summary>
public sealed class DocumentationTests
{
    /// <summary>What counts as a source file a README's layout must list.</summary>
    private static readonly string[] SourceExtensions = [".cs", ".py", ".sh", ".proto", ".cpp"];

    /// <summary>Folders that hold what builds, tests and tools write, never what the repository holds.</summary>
    private static readonly string[] OutputFolders = ["bin", "obj", ".git", "TestResults", "artifacts", ".device"];

    /// <summary>Every markdown file of the repository, relative to its root.</summary>
    public static TheoryData<string> Documents
    {
        get
        {
            var documents = new TheoryData<string>();
            foreach (string file in RepositoryFiles().Where(f => f.EndsWith(".md", StringComparison.Ordinal)))
                documents.Add(file);
            return documents;
        }
    }

    /// <summary>The READMEs that carry a layout: one per project under src/ (whether or not it exists yet), and every
    /// README under benchmarks/.</summary>
    public static TheoryData<string> LayoutReadmes
    {
        get
        {
            var readmes = new TheoryData<string>();
            foreach (string project in Directory.GetDirectories(Path.Combine(Repository.Root, "src")).Order())
                if (Directory.EnumerateFiles(project, "*.csproj").Any())
                    readmes.Add(Relative(Path.Combine(project, "README.md")));
            foreach (string file in RepositoryFiles())
                if (file.StartsWith("benchmarks/") && file.EndsWith("/README.md")) readmes.Add(file);
            return readmes;
        }
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Documentation_links_only_to_files_in_the_repository(string document)
    {
        string path = Path.Combine(Repository.Root, document);
        var links = Regex.Matches(File.ReadAllText(path), @"\]\(([^)#\s]+)\)")
            .Select(m => m.Groups[1].Value).Where(l => !l.Contains("://")).ToList();
        foreach (string link in links)
        {
            string target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, link));
            Assert.True(target.StartsWith(Repository.Root + Path.DirectorySeparatorChar), $"{document} links outside the repository: {link}");
            Assert.True(File.Exists(target) || Directory.Exists(target), $"{document} links to {link}, which does not exist");
        }
        if (document == "README.md") Assert.Contains("docs/ARCHITECTURE.md", links);
    }

    /// <summary>
    /// A file name in backquotes with a source extension (<c>`Trainer.cs`</c>,
    /// <c>`src/Digits.Core/Training/Trainer.cs`</c>) must name a file that exists: a bare name anywhere in the
    /// repository; a path relative to the repository's root, to the document's folder, to <c>src/</c>
    /// (<c>Digits.Api/DeviceName.cs</c>) or to <c>src/Digits.</c> (the short form <c>Core/Training/Trainer.cs</c>).
    /// Patterns (<c>*</c>, <c>&lt;Family&gt;</c>, <c>…</c>) and code blocks are not read.
    /// </summary>
    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_source_file_the_documentation_names_exists(string document)
    {
        string path = Path.Combine(Repository.Root, document), folder = Path.GetDirectoryName(document)!;
        string text = Regex.Replace(File.ReadAllText(path), @"(?ms)^\s*```.*?^\s*```", "");
        var files = RepositoryFiles().ToList();
        var names = files.Select(Path.GetFileName).ToHashSet();
        var missing = new List<string>();
        foreach (Match m in Regex.Matches(text, @"`([^`\s]+\.(?:cs|py|sh|proto|cpp|csproj|md))`"))
        {
            string name = m.Groups[1].Value;
            if (name.IndexOfAny(['*', '<', '{', '…', '|']) >= 0) continue;
            bool found = name.Contains('/')
                ? new[] { name, Path.Combine(folder, name), "src/" + name, "src/Digits." + name }
                    .Any(candidate => File.Exists(Path.Combine(Repository.Root, candidate)))
                : names.Contains(name);
            if (!found) missing.Add(name);
        }
        Assert.True(missing.Count == 0,
            $"{document} names files that do not exist: {string.Join(", ", missing.Distinct())}");
    }

    /// <summary>
    /// A README's "## Layout" section lists its folder's source files, and only files that exist: its first code
    /// block, one entry a line, a path relative to the README's folder followed by what the file holds (a line that
    /// begins with a blank continues the entry above). A source file belongs to the nearest README above it, so
    /// <c>benchmarks/pytorch/README.md</c>, not <c>benchmarks/README.md</c>, lists <c>benchmarks/pytorch/twin.py</c>.
    /// </summary>
    [Theory]
    [MemberData(nameof(LayoutReadmes))]
    public void Every_project_README_lists_exactly_its_source_files(string readme)
    {
        string path = Path.Combine(Repository.Root, readme);
        Assert.True(File.Exists(path),
            $"{readme} does not exist: every project has a README with a '## Layout' section");
        string folder = Path.GetDirectoryName(readme)!.Replace('\\', '/');
        var listed = Layout(readme);
        var sources = RepositoryFiles()
            .Where(f => f.StartsWith(folder + "/") && SourceExtensions.Contains(Path.GetExtension(f)))
            .Where(f => NearestReadme(f) == readme.Replace('\\', '/'))
            .Select(f => f[(folder.Length + 1)..]).ToHashSet();
        var notThere = listed.Where(f => !File.Exists(Path.Combine(Repository.Root, folder, f))).ToList();
        var notListed = sources.Where(f => !listed.Contains(f)).Order(StringComparer.Ordinal).ToList();
        var twice = listed.GroupBy(f => f).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(notThere.Count == 0 && notListed.Count == 0 && twice.Count == 0,
            $"{readme}'s layout does not match {folder}/:" +
            (notThere.Count > 0 ? $"\n  listed but not there: {string.Join(", ", notThere)}" : "") +
            (notListed.Count > 0 ? $"\n  there but not listed: {string.Join(", ", notListed)}" : "") +
            (twice.Count > 0 ? $"\n  listed twice: {string.Join(", ", twice)}" : ""));
    }

    /// <summary>
    /// The design lives in docs/, so no file of the repository names the design notes kept outside it, and a path
    /// that leaves the repository for the <c>shared</c> folder beside the checkout may only name one of two folders
    /// there that are the machine's, not the project's: the datasets (<c>../shared/data</c>, what
    /// <c>DIGITS_DATA</c> points at in the examples) anywhere, and the packer of a lent GPU's files (its
    /// <c>device/</c> folder) in <c>benchmarks/gpu/</c> and <c>benchmarks/README.md</c>, which document that step.
    /// </summary>
    [Fact]
    public void Nothing_refers_to_a_file_outside_the_repository()
    {
        // Split, so that this file does not name them either.
        string[] outsideNotes = ["DESIGN" + ".md", "ILGPU" + ".md"];
        var outside = new Regex(@"\.\./shared(?<rest>/[\w./-]*)?");
        var offences = new List<string>();
        foreach (string file in RepositoryFiles())
        {
            string path = Path.Combine(Repository.Root, file);
            if (new FileInfo(path).Length > 2 << 20 || !IsText(path)) continue;
            bool packerAllowed = file.StartsWith("benchmarks/gpu/") || file == "benchmarks/README.md";
            string[] lines = File.ReadAllLines(path);
            for (int k = 0; k < lines.Length; k++)
            {
                foreach (string note in outsideNotes)
                    if (lines[k].Contains(note, StringComparison.OrdinalIgnoreCase))
                        offences.Add($"{file}:{k + 1}: {note}");
                foreach (Match m in outside.Matches(lines[k]))
                {
                    string rest = m.Groups["rest"].Value;
                    bool data = rest == "/data" || rest.StartsWith("/data/");
                    bool packer = packerAllowed && (rest == "/device" || rest.StartsWith("/device/"));
                    if (!data && !packer) offences.Add($"{file}:{k + 1}: {m.Value}");
                }
            }
        }
        Assert.True(offences.Count == 0, "references outside the repository (the design is docs/ARCHITECTURE.md; " +
                                         "the data folder is ../shared/data):\n" + string.Join('\n', offences));
    }

    /// <summary>A citation of a section of the design — <c>(docs/ARCHITECTURE.md, "Conventions")</c> in a comment or a
    /// README — names a heading of docs/ARCHITECTURE.md: the whole heading, or its part before a colon (backquotes
    /// aside).</summary>
    [Fact]
    public void Every_section_of_the_architecture_cited_exists()
    {
        var headings = File.ReadAllLines(Path.Combine(Repository.Root, "docs", "ARCHITECTURE.md"))
            .Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim().Replace("`", ""))
            .SelectMany(h => new[] { h, h.Split(':')[0] }).ToHashSet();
        var missing = new List<string>();
        int citations = 0;
        foreach (string file in RepositoryFiles().Where(f => f.EndsWith(".cs") || f.EndsWith(".md")))
        {
            // Lines joined, comment markers dropped: a citation may wrap.
            string text = Regex.Replace(File.ReadAllText(Path.Combine(Repository.Root, file)),
                @"\s*\n\s*(?:///?|#)?\s*", " ");
            foreach (Match m in Regex.Matches(text, @"ARCHITECTURE\.md`?, ""([^""]+)"""))
            {
                citations++;
                if (!headings.Contains(m.Groups[1].Value.Replace("`", "")))
                    missing.Add($"{file}: \"{m.Groups[1].Value}\"");
            }
        }
        Assert.True(citations > 0, "no citation of docs/ARCHITECTURE.md found: the pattern no longer matches");
        Assert.True(missing.Count == 0,
            "sections of docs/ARCHITECTURE.md cited but not there:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void A_layout_is_read_as_the_README_says()
    {
        string dir = Directory.CreateTempSubdirectory("digits-layout-").FullName;
        try
        {
            string readme = Path.Combine(dir, "README.md");
            File.WriteAllText(readme, """
                # P

                ```
                not/this.cs    a code block before the section
                ```

                ## Layout

                ```
                A.cs           one
                               continued: B.cs is not an entry
                Sub/C.cs       two

                D.py
                ```

                ```
                E.cs           a second block is not read
                ```
                """);
            Assert.Equal(["A.cs", "Sub/C.cs", "D.py"], Layout(readme));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The paths listed by <paramref name="readme"/>'s layout (see
    /// <see cref="Every_project_README_lists_exactly_its_source_files"/>).</summary>
    private static List<string> Layout(string readme)
    {
        string[] lines = File.ReadAllLines(Path.Combine(Repository.Root, readme));
        int heading = Array.FindIndex(lines, l => l.TrimEnd() == "## Layout");
        Assert.True(heading >= 0, $"{readme} has no '## Layout' section");
        int open = Array.FindIndex(lines, heading + 1,
            l => l.StartsWith("```", StringComparison.Ordinal) || l.StartsWith("## ", StringComparison.Ordinal));
        Assert.True(open >= 0 && lines[open].StartsWith("```", StringComparison.Ordinal),
            $"{readme}: the '## Layout' section has no code block");
        var listed = new List<string>();
        for (int k = open + 1; k < lines.Length && !lines[k].StartsWith("```", StringComparison.Ordinal); k++)
            if (lines[k].Length > 0 && !char.IsWhiteSpace(lines[k][0]))
                listed.Add(lines[k].Split([' ', '\t'], 2)[0]);
        return listed;
    }

    /// <summary>The README.md nearest above <paramref name="file"/> (both relative to the repository's root).</summary>
    private static string? NearestReadme(string file)
    {
        for (string? dir = Path.GetDirectoryName(file); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(Repository.Root, dir, "README.md")))
                return Path.Combine(dir, "README.md").Replace('\\', '/');
        return null;
    }

    /// <summary>Every file of the working tree outside <see cref="OutputFolders"/>, relative to the root, with
    /// forward slashes.</summary>
    private static IEnumerable<string> RepositoryFiles()
    {
        var pending = new Stack<string>([Repository.Root]);
        while (pending.TryPop(out string? dir))
        {
            foreach (string file in Directory.EnumerateFiles(dir)) yield return Relative(file);
            foreach (string sub in Directory.EnumerateDirectories(dir))
                if (!OutputFolders.Contains(Path.GetFileName(sub))) pending.Push(sub);
        }
    }

    private static string Relative(string path) =>
        Path.GetRelativePath(Repository.Root, path).Replace('\\', '/');

    /// <summary>No NUL byte in the first 8 KiB: text, not an image or a model.</summary>
    private static bool IsText(string path)
    {
        var head = new byte[8192];
        using var stream = File.OpenRead(path);
        int read = stream.Read(head);
        return Array.IndexOf(head, (byte)0, 0, read) < 0;
    }
}
