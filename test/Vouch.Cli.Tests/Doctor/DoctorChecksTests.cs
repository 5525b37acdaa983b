using Vouch.Authenticators;
using Vouch.Cli.Agent;
using Vouch.Cli.Aws;
using Vouch.Cli.Doctor;
using Xunit;

namespace Vouch.Cli.Tests.Doctor;

/// <summary>Each check of <c>vouch doctor</c> on what it is given: its verdict and the line it prints.</summary>
public sealed class DoctorChecksTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";

    [Fact]
    public void The_agent_is_ok_when_it_answers_and_a_failure_when_not()
    {
        Assert.Equal("OK    agent: running on /run/vouch/agent.sock", DoctorChecks.Agent(true, "/run/vouch/agent.sock").ToString());
        Assert.Equal("FAIL  agent: not running (nothing answers on /run/vouch/agent.sock): run 'vouch login', which starts it",
            DoctorChecks.Agent(false, "/run/vouch/agent.sock").ToString());
    }

    [Fact]
    public void A_session_says_for_how_long_it_is_valid()
    {
        var status = new AgentResponse { Ok = true, Email = "alice@example.com", Server = "https://vouch.example.com", ExpiresAt = Now.AddHours(7).AddMinutes(12) };

        var finding = DoctorChecks.Session(status, Now);

        Assert.Equal(Verdict.Ok, finding.Verdict);
        Assert.StartsWith("alice@example.com on https://vouch.example.com, valid for 7 h 12 min (until ", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_the_server_could_not_confirm_is_a_warning()
    {
        var status = new AgentResponse { Ok = true, Email = "a@example.com", Server = "https://v", ExpiresAt = Now.AddMinutes(30), Message = "cannot reach the Vouch server" };

        var finding = DoctorChecks.Session(status, Now);

        Assert.Equal(Verdict.Warn, finding.Verdict);
        Assert.Contains("valid for 30 min", finding.Message, StringComparison.Ordinal);
        Assert.EndsWith("could not confirm it: cannot reach the Vouch server", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_session_says_to_log_in_and_another_refusal_is_itself()
    {
        Assert.Equal((Verdict.Fail, AgentErrors.NotLoggedInMessage), Pair(DoctorChecks.Session(AgentResponse.Fail(AgentErrors.NotLoggedIn, "x"), Now)));
        Assert.Equal((Verdict.Fail, "your Vouch account is disabled; ask your administrator"),
            Pair(DoctorChecks.Session(AgentResponse.Fail(AgentErrors.UserDisabled, "your Vouch account is disabled; ask your administrator"), Now)));
        Assert.Contains("run 'vouch login'", DoctorChecks.Session(null, Now).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reachable_server_with_a_close_clock_is_ok()
    {
        var findings = DoctorChecks.Server("https://v", new ServerProbe(Now.AddSeconds(3), Now, null)).ToList();

        Assert.Equal([(Verdict.Ok, "server"), (Verdict.Ok, "clock")], findings.Select(f => (f.Verdict, f.Check)));
        Assert.Equal("within 3 s of the server's", findings[1].Message);
    }

    [Theory]
    [InlineData(61, "this machine's clock is 61 s behind the server's")]
    [InlineData(-90, "this machine's clock is 90 s ahead of the server's")]
    public void A_clock_more_than_60_seconds_off_is_a_warning(int serverAhead, string expected)
    {
        var clock = DoctorChecks.Server("https://v", new ServerProbe(Now.AddSeconds(serverAhead), Now, null)).Last();

        Assert.Equal(Verdict.Warn, clock.Verdict);
        Assert.StartsWith(expected, clock.Message, StringComparison.Ordinal);
        Assert.Contains("NTP", clock.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_server_is_one_failure_with_the_reason()
    {
        var finding = Assert.Single(DoctorChecks.Server("https://v", new ServerProbe(null, Now, "cannot reach the Vouch server at https://v: refused")));

        Assert.Equal((Verdict.Fail, "cannot reach the Vouch server at https://v: refused"), Pair(finding));
    }

    [Fact]
    public void The_software_authenticator_in_use_is_said_and_a_missing_file_fails()
    {
        Assert.Equal(Verdict.Ok, DoctorChecks.SecurityKey("/k.json", _ => true, () => throw new InvalidOperationException("not asked")).Verdict);
        Assert.Equal(Verdict.Fail, DoctorChecks.SecurityKey("/k.json", _ => false, () => []).Verdict);
    }

    [Fact]
    public void A_usb_key_found_is_ok_and_none_or_no_libfido2_fails()
    {
        Assert.Equal((Verdict.Ok, "found /dev/hidraw3"), Pair(DoctorChecks.SecurityKey(null, _ => false, () => ["/dev/hidraw3"])));
        Assert.Equal(Verdict.Fail, DoctorChecks.SecurityKey(null, _ => false, () => []).Verdict);
        Assert.Equal((Verdict.Fail, "libfido2 is not installed"),
            Pair(DoctorChecks.SecurityKey(null, _ => false, () => throw new AuthenticatorException(AuthenticatorFailure.NoKey, "libfido2 is not installed"))));
    }

    private static IReadOnlyList<Finding> Profiles(string config, ExecutableState state = ExecutableState.Executable) =>
        DoctorChecks.AwsProfiles("/home/a/.aws/config", path => AwsConfigFile.Parse(config, path), _ => state);

    [Fact]
    public void A_consistent_profile_is_ok()
    {
        var finding = Assert.Single(Profiles($"[profile dev]\ncredential_process = /bin/vouch credential aws --role {Role}\nregion = eu-west-1\n"));

        Assert.Equal("OK    aws profile dev: " + Role + " in eu-west-1, 3600 s", finding.ToString());
    }

    [Theory]
    [InlineData(ExecutableState.Missing, "/bin/vouch does not exist")]
    [InlineData(ExecutableState.NotExecutable, "/bin/vouch is not executable")]
    public void A_profile_whose_program_cannot_run_fails_with_how_to_rewrite_it(ExecutableState state, string problem)
    {
        var finding = Assert.Single(Profiles($"[profile dev]\ncredential_process = /bin/vouch credential aws --role {Role}\nregion = eu-west-1\n", state));

        Assert.Equal($"FAIL  aws profile dev: {problem} (/home/a/.aws/config line 2): run 'vouch setup aws --role {Role} --profile dev --region eu-west-1' to write it again",
            finding.ToString());
    }

    [Fact]
    public void A_profile_without_a_valid_role_or_region_fails_naming_both()
    {
        var finding = Assert.Single(Profiles("[profile dev]\ncredential_process = /bin/vouch credential aws --role arn:aws:iam::1:user/x\n"));

        Assert.Equal(Verdict.Fail, finding.Verdict);
        Assert.StartsWith("'arn:aws:iam::1:user/x' is not an IAM role ARN; it has no region (", finding.Message, StringComparison.Ordinal);
        Assert.Contains("vouch setup aws --role ARN --profile dev'", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_vouch_profile_is_fine_and_an_unreadable_file_fails_with_its_line()
    {
        Assert.Equal(Verdict.Ok, Assert.Single(Profiles("[default]\nregion = eu-west-1\n")).Verdict);
        Assert.Equal(Verdict.Ok, Assert.Single(DoctorChecks.AwsProfiles("/none", _ => null, _ => ExecutableState.Missing)).Verdict);
        var broken = Assert.Single(Profiles("[default]\nregion eu-west-1\n"));
        Assert.Equal(Verdict.Fail, broken.Verdict);
        Assert.StartsWith("/home/a/.aws/config line 2: ", broken.Message, StringComparison.Ordinal);
    }

    private static (Verdict, string) Pair(Finding finding) => (finding.Verdict, finding.Message);
}
