using System.Text.RegularExpressions;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests;

/// <summary>The rules of the house in docs/architecture.md that a machine can check, read from the sources.</summary>
public sealed partial class ArchitectureTests
{
    private static readonly string Src = Path.Combine(RepositoryPaths.Root, "src");

    private static IEnumerable<string> Sources(string project, params string[] extensions) =>
        Directory.EnumerateFiles(Path.Combine(Src, project), "*", SearchOption.AllDirectories)
            .Where(f => extensions.Contains(Path.GetExtension(f)))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    private static string Relative(string path) => Path.GetRelativePath(Src, path).Replace(Path.DirectorySeparatorChar, '/');

    [GeneratedRegex(@"^using (?:static )?Vouch\.Server\.(?<feature>[A-Za-z]+)", RegexOptions.Multiline)]
    private static partial Regex ServerImport();

    [Fact]
    public void Only_Admin_and_Program_import_Hosting()
    {
        var importers = Sources("Vouch.Server", ".cs", ".cshtml")
            .Where(f => ServerImport().Matches(File.ReadAllText(f)).Any(m => m.Groups["feature"].Value == "Hosting"))
            .Select(Relative)
            .Where(f => !f.StartsWith("Vouch.Server/Admin/", StringComparison.Ordinal) && !f.StartsWith("Vouch.Server/Hosting/", StringComparison.Ordinal))
            .Where(f => f != "Vouch.Server/Program.cs");

        Assert.Empty(importers);
    }

    [Fact]
    public void The_server_features_import_each_other_without_a_cycle()
    {
        // Persistence's EF configurations name every feature's records (the one allowed exception); the composition
        // folders (Hosting, Admin, Web) import features and are imported by none of them.
        string[] exempt = ["Persistence", "Hosting", "Admin", "Web"];
        var root = Path.Combine(Src, "Vouch.Server");
        var imports = Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName)
            .Where(folder => folder is not ("bin" or "obj") && !exempt.Contains(folder))
            .ToDictionary(folder => folder!, folder => Sources(Path.Combine("Vouch.Server", folder!), ".cs")
                .SelectMany(f => ServerImport().Matches(File.ReadAllText(f)).Select(m => m.Groups["feature"].Value))
                .Where(feature => feature != folder && !exempt.Contains(feature))
                .ToHashSet());

        foreach (var start in imports.Keys)
        {
            var path = Cycle(start, start, imports, []);
            Assert.True(path is null, $"import cycle: {string.Join(" -> ", path ?? [])}");
        }
    }

    private static List<string>? Cycle(string start, string at, Dictionary<string, HashSet<string>> imports, List<string> path)
    {
        path = [.. path, at];
        foreach (var next in imports.GetValueOrDefault(at) ?? [])
        {
            if (next == start) return [.. path, next];
            if (path.Contains(next)) continue;
            if (Cycle(start, next, imports, path) is { } found) return found;
        }
        return null;
    }

    [Fact]
    public void No_source_file_is_over_300_lines_outside_generated_migrations()
    {
        var over = new[] { "Vouch.Server", "Vouch.Cli.Core", "Vouch.Cli.Full", "Vouch.Client", "Vouch.Protocol", "Vouch.Authenticators", "Vouch.Authenticators.Software" }
            .SelectMany(project => Sources(project, ".cs", ".cshtml", ".js", ".css"))
            .Where(f => !Relative(f).Contains("/Migrations/", StringComparison.Ordinal))
            .Select(f => (File: Relative(f), Lines: File.ReadAllLines(f).Length))
            .Where(f => f.Lines > 300);

        Assert.Empty(over);
    }

    [Fact]
    public void The_small_cli_compiles_no_other_projects_files()
    {
        var project = File.ReadAllText(Path.Combine(Src, "Vouch.Client", "Vouch.Client.csproj"));

        Assert.DoesNotContain("<Compile", project, StringComparison.Ordinal);
        Assert.Contains(@"..\Vouch.Cli.Core\Vouch.Cli.Core.csproj", project, StringComparison.Ordinal);
    }

    // A child process's exit code (xdg-open) may be compared; a CliException's kind is its only meaning.
    [GeneratedRegex(@"[!=]=\s*ExitCodes\.|\.Message\.(Contains|StartsWith|EndsWith)\(")]
    private static partial Regex DecidesByExitCodeOrText();

    [Fact]
    public void No_cli_code_decides_by_an_exit_code_or_a_message_text()
    {
        var offenders = new[] { "Vouch.Cli.Core", "Vouch.Cli.Full", "Vouch.Client" }
            .SelectMany(project => Sources(project, ".cs"))
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Relative(f), Line: i + 1, Text: line.Trim())))
            .Where(l => !l.Text.StartsWith("//", StringComparison.Ordinal) && !l.Text.StartsWith("///", StringComparison.Ordinal))
            .Where(l => DecidesByExitCodeOrText().IsMatch(l.Text));

        Assert.Empty(offenders);
    }
}
