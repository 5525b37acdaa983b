using System.Text.Json;
using System.Text.RegularExpressions;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// Where secrets must never be on the user's machine: in files, in the server's log, in any process's arguments, or
/// in any process's environment, except the AWS credentials in the environment of the command <c>vouch exec</c> runs.
/// </summary>
public sealed partial class LocalSecretsTests : AwsUserWorld
{
    [Fact]
    public async Task No_session_token_or_credential_is_in_files_logs_process_arguments_or_other_environments()
    {
        var idToken = (await VouchAsync(["credential", "token"])).StandardOutput.Trim();
        var aws = JsonDocument.Parse((await VouchAsync(["credential", "aws", "--role", Role, "--format", "aws-credential-process"])).StandardOutput).RootElement;
        string[] secrets = [idToken, aws.GetProperty("SecretAccessKey").GetString()!, aws.GetProperty("SessionToken").GetString()!];
        Assert.All(secrets, s => Assert.True(s.Length > 20, "the premise: each secret was issued"));

        using var exec = ProcessRunner.Start(CliSandbox.Binary, ["exec", "--role", Role, "--", "sleep", "31.7"], Environment(), User.Home);
        var child = await WaitForProcessAsync(["sleep", "31.7"]);
        try
        {
            // The scan can see a secret where one is: the command vouch exec runs holds the credentials.
            Assert.Contains(secrets[1], ReadProc(child, "environ"), StringComparison.Ordinal);

            var leaks = new List<string>();
            foreach (var pid in Processes().Where(p => p != child))
            {
                foreach (var part in new[] { "cmdline", "environ" })
                {
                    var text = ReadProc(pid, part);
                    if (secrets.Any(s => text.Contains(s, StringComparison.Ordinal)) || SessionToken().IsMatch(text))
                        leaks.Add($"{pid} {part}: {ReadProc(pid, "cmdline").Replace('\0', ' ')}");
                }
            }
            Assert.Empty(leaks);
        }
        finally
        {
            exec.Kill(entireProcessTree: true);
            await exec.WaitForExitAsync();
        }

        Assert.Empty(User.FilesHoldingSecrets());
        var files = new[] { User.Home, User.RuntimeDirectory }.SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => f != User.AgentSocket && secrets.Any(s => File.ReadAllText(f).Contains(s, StringComparison.Ordinal))).ToList();
        Assert.Empty(files);
        Assert.All(secrets, s => Assert.DoesNotContain(s, Vouch.Server.Output, StringComparison.Ordinal));
        Assert.DoesNotMatch(SessionToken(), Vouch.Server.Output);
    }

    private static IEnumerable<int> Processes() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, System.Globalization.CultureInfo.InvariantCulture));

    private static string ReadProc(int pid, string part)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{part}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ""; // gone since the listing, or a kernel thread
        }
    }

    private static async Task<int> WaitForProcessAsync(string[] command)
    {
        var wanted = string.Join('\0', command) + "\0";
        for (var i = 0; i < 200; i++)
        {
            if (Processes().FirstOrDefault(p => ReadProc(p, "cmdline") == wanted) is var pid and > 0) return pid;
            await Task.Delay(50);
        }
        throw new TimeoutException($"'{string.Join(' ', command)}' did not start under vouch exec");
    }

    [GeneratedRegex(@"vs_[A-Za-z0-9_-]{32}")]
    private static partial Regex SessionToken();
}
