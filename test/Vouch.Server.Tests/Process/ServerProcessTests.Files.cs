using Microsoft.EntityFrameworkCore;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Process;

// The modes of the files the server creates.
public sealed partial class ServerProcessTests
{
    [Fact]
    public async Task Under_umask_000_the_sqlite_files_are_created_owner_only_in_one_step_and_never_chmod_ed()
    {
        // strace records every file the server creates and every mode change; umask 000 leaves nothing to chance.
        var data = _directory.File("data");
        var trace = _directory.File("strace.log");
        var issuer = $"http://127.0.0.1:{FreePort.Next()}";
        using var strace = ProcessRunner.Start("strace",
            ["-f", "-qq", "-y", "-e", "trace=open,openat,creat,mkdir,mkdirat,chmod,fchmod,fchmodat", "-o", trace,
             "bash", "-c", "umask 000; exec \"$0\" \"$@\"", RepositoryPaths.ServerBinary,
             "serve", "--issuer", issuer, "--development", "--database", Path.Combine(data, "vouch.db")],
            workingDirectory: _directory.Path);
        var stderr = strace.StandardError.ReadToEndAsync();
        Dictionary<string, UnixFileMode> running;
        try
        {
            await WaitHealthyAsync(issuer, strace);
            running = Directory.GetFiles(data).ToDictionary(f => Path.GetFileName(f), File.GetUnixFileMode);
        }
        finally
        {
            // The server is strace's child (bash exec-ed it); SIGTERM to strace would only detach it.
            var child = int.Parse(File.ReadAllText($"/proc/{strace.Id}/task/{strace.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
            ProcessRunner.Terminate(child);
            await strace.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        var lines = await File.ReadAllLinesAsync(trace);
        Assert.True(lines.Length > 0, await stderr);

        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(["vouch.db", "vouch.db-shm", "vouch.db-wal", "vouch.db.kek"], running.Keys.Order(StringComparer.Ordinal));
        Assert.All(running, file => Assert.True(file.Value == ownerOnly, $"{file.Key} is {file.Value}"));
        Assert.Equal(ownerOnly | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        // The first open that may create each file (the one that did) asks for 0600 itself.
        var creates = lines.Select(l => CreatingOpen().Match(l)).Where(m => m.Success && m.Groups["path"].Value.StartsWith(data + "/", StringComparison.Ordinal)).ToList();
        var first = creates.GroupBy(m => m.Groups["path"].Value).ToDictionary(g => Path.GetFileName(g.Key), g => g.First().Groups["mode"].Value);
        Assert.Contains("vouch.db-journal", first.Keys);
        Assert.All(first, create => Assert.True(create.Value == "0600", $"{create.Key} was created {create.Value}"));
        Assert.Contains(lines, l => l.Contains($"\"{data}\", 0700", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("chmod", StringComparison.Ordinal) && l.Contains(data, StringComparison.Ordinal));
    }

    private static async Task WaitHealthyAsync(string issuer, System.Diagnostics.Process process)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(90); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            Assert.False(process.HasExited, "the server exited");
            try
            {
                using var response = await client.GetAsync(issuer + "/healthz");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
        }
        throw new TimeoutException("the server did not become healthy in 90 s");
    }

    /// <summary>An <c>open</c>, <c>openat</c> or <c>creat</c> call in strace's log that creates when the file is missing, with its path and mode.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:open|openat|creat)\((?:[^,]*, )?""(?<path>[^""]+)"", (?<flags>[A-Z_|]*O_CREAT[A-Z_|]*), (?<mode>0[0-7]+)")]
    private static partial System.Text.RegularExpressions.Regex CreatingOpen();
}
