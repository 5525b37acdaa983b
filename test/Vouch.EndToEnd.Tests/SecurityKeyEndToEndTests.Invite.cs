using System.Text;
using Vouch.FidoSimulator;
using Vouch.FidoSimulator.Hid;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// security.md M1: while <c>vouch enroll</c> waits for the touch, another local user reading every process's
/// <c>/proc/PID/cmdline</c> (and, as the same user, <c>environ</c>) finds no invite code when it was typed at the
/// prompt or read from <c>--invite-file</c>; with <c>--invite CODE</c>, the same look finds it (the warned form).
/// </summary>
public sealed partial class SecurityKeyEndToEndTests
{
    // What InviteSource.Prompt begins with (the CLI's own type is internal).
    private const string InvitePrompt = "Invite code (from your administrator; not shown as you type): ";

    [Fact]
    public async Task An_invite_typed_at_the_prompt_is_in_no_process_while_enroll_waits_for_the_touch()
    {
        var device = await StartAsync(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.FromSeconds(3) });
        var code = await World.InviteAsync(Email);

        var (enroll, holders, enrolling) = await EnrollWatchingProcAsync(device, code, ["enroll", "--server", World.Issuer],
            [new TerminalAnswer(InvitePrompt, code), TypePin]);

        Assert.True(enroll.ExitCode == 0, enroll.StandardOutput);
        Assert.True(enrolling, "the scan did not see vouch enroll running");
        Assert.Empty(holders);
        Assert.DoesNotContain(code, enroll.StandardOutput, StringComparison.Ordinal); // typed without echo
        Assert.Contains($"Enrolled {Email}", enroll.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invite_read_from_a_private_file_is_in_no_process_while_enroll_waits_for_the_touch()
    {
        var device = await StartAsync(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.FromSeconds(3) });
        var code = await World.InviteAsync(Email);
        var file = _directory.File("invite.txt");
        await File.WriteAllTextAsync(file, code + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var (enroll, holders, enrolling) = await EnrollWatchingProcAsync(device, code, ["enroll", "--server", World.Issuer, "--invite-file", file], [TypePin]);

        Assert.True(enroll.ExitCode == 0, enroll.StandardOutput);
        Assert.True(enrolling, "the scan did not see vouch enroll running");
        Assert.Empty(holders);
        Assert.DoesNotContain(code, enroll.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invite_on_the_command_line_is_visible_in_proc_as_its_warning_says()
    {
        var device = await StartAsync(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.FromSeconds(3) });
        var code = await World.InviteAsync(Email);

        var (enroll, holders, _) = await EnrollWatchingProcAsync(device, code, ["enroll", "--server", World.Issuer, "--invite", code], [TypePin]);

        Assert.True(enroll.ExitCode == 0, enroll.StandardOutput);
        Assert.Contains(holders, h => h.EndsWith("/cmdline", StringComparison.Ordinal)); // the scan finds what is there
        Assert.Contains("vouch: warning: --invite puts the code where other local users can read it", enroll.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Runs enroll on a terminal; once the key waits for its touch, looks through every process in /proc.</summary>
    private async Task<(ProcessResult Result, List<string> Holders, bool Enrolling)> EnrollWatchingProcAsync(
        SimulatedDevice device, string code, string[] arguments, TerminalAnswer[] answers)
    {
        List<string>? holders = null;
        var enrolling = false;
        var result = await OnTerminalAsync(arguments, answers, async screen =>
        {
            if (holders is not null || !screen.Contains("Touch your security key", StringComparison.Ordinal)) return;
            await device.Authenticator.WaitingForTouch.WaitAsync(TimeSpan.FromSeconds(30));
            holders = [];
            foreach (var (path, text) in ProcFiles())
            {
                if (text.Contains(code, StringComparison.Ordinal)) holders.Add(path);
                if (path.EndsWith("/cmdline", StringComparison.Ordinal) && text.Contains("enroll\0--server\0", StringComparison.Ordinal)
                    && !text.StartsWith("script\0", StringComparison.Ordinal))
                    enrolling = true;
            }
        });
        return (result, holders ?? throw new InvalidOperationException("enroll never waited for the touch"), enrolling);
    }

    /// <summary>Every process's cmdline and environ that this user can read (others' environ is not readable to them either).</summary>
    private static IEnumerable<(string Path, string Text)> ProcFiles()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _)) continue;
            foreach (var name in new[] { "cmdline", "environ" })
            {
                string text;
                try
                {
                    text = Encoding.Latin1.GetString(File.ReadAllBytes(Path.Combine(directory, name)));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // gone, or another user's environ
                }
                yield return ($"{directory}/{name}", text);
            }
        }
    }
}
