using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary><c>vouch doctor</c>, the published binary, on a healthy setup and on one with a broken AWS profile.</summary>
public sealed class DoctorEndToEndTests : IAsyncLifetime
{
    private VouchWorld _vouch = null!;
    private readonly CliSandbox _user = new();

    public async Task InitializeAsync() => _vouch = await VouchWorld.StartAsync();

    private static string Role => "arn:aws:iam::123456789012:role/VouchDeveloper";

    public async Task DisposeAsync()
    {
        _user.Dispose();
        if (_vouch is not null) await _vouch.DisposeAsync();
    }

    private string AwsConfigFile => Path.Combine(_user.Home, ".aws", "config");

    private Task<ProcessResult> DoctorAsync()
    {
        var environment = _user.Environment();
        environment["AWS_CONFIG_FILE"] = null;
        environment["AWS_PROFILE"] = null;
        return ProcessRunner.RunAsync(CliSandbox.Binary, ["doctor"], environment, _user.Home, TimeSpan.FromSeconds(60), standardInput: "");
    }

    [Fact]
    public async Task A_healthy_setup_is_all_ok_and_exits_0()
    {
        await _vouch.EnrollAndLoginAsync(_user, "alice@example.com");
        Assert.Equal(0, (await _user.RunAsync("setup", "aws", "--role", Role)).ExitCode);

        var doctor = await DoctorAsync();

        Assert.True(doctor.ExitCode == 0, doctor.StandardOutput + doctor.StandardError);
        var lines = doctor.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("OK    ", l, StringComparison.Ordinal));
        Assert.Equal(["agent", "session", "server", "clock", "security key", "aws profile vouch"], lines.Select(l => l[6..l.IndexOf(':', StringComparison.Ordinal)]));
        Assert.Contains("alice@example.com", lines[1], StringComparison.Ordinal);
        Assert.Contains($"{Role} in us-east-1, 3600 s", lines[5], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_profile_whose_executable_is_gone_fails_with_what_to_do()
    {
        await _vouch.EnrollAndLoginAsync(_user, "alice@example.com");
        Directory.CreateDirectory(Path.GetDirectoryName(AwsConfigFile)!);
        await File.WriteAllTextAsync(AwsConfigFile,
            $"[profile broken]\ncredential_process = /nonexistent/vouch credential aws --role {Role} --format aws-credential-process\nregion = eu-west-1\n");

        var doctor = await DoctorAsync();

        Assert.Equal(10, doctor.ExitCode);
        var failures = doctor.StandardOutput.Split('\n').Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            $"FAIL  aws profile broken: /nonexistent/vouch does not exist ({AwsConfigFile} line 2): run 'vouch setup aws --role {Role} --profile broken --region eu-west-1' to write it again",
            Assert.Single(failures));
        Assert.Equal("vouch doctor: 1 problem found\n", doctor.StandardError);
    }

    [Fact]
    public async Task Without_a_session_doctor_says_to_log_in_and_fails()
    {
        var doctor = await DoctorAsync();

        Assert.Equal(10, doctor.ExitCode);
        Assert.Contains("FAIL  agent: not running", doctor.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("FAIL  session: not logged in (no agent holds a session): run 'vouch login'", doctor.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("FAIL  server: none configured", doctor.StandardOutput, StringComparison.Ordinal);
    }
}
