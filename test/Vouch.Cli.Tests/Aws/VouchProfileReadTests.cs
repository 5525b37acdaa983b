using Vouch.Cli.Aws;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>Reading the role and region of a profile <c>vouch setup aws</c> wrote, for <c>vouch console --profile</c>.</summary>
public sealed class VouchProfileReadTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new("vouch-profile-");
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";

    public void Dispose() => _directory.Dispose();

    private string Config(string text)
    {
        var file = _directory.File("config");
        File.WriteAllText(file, text);
        return file;
    }

    [Fact]
    public void The_role_and_region_come_from_the_profile_that_setup_aws_wrote()
    {
        var file = Config($"[default]\nregion = us-east-1\n\n[profile team]\r\n{AwsConfigEditor.Marker}\r\n" +
            $"credential_process = /usr/local/bin/vouch credential aws --role {Role} --format aws-credential-process\r\nregion = eu-west-1\r\n[profile other]\nregion = ap-south-1\n");

        var profile = VouchProfile.Read(file, "team");

        Assert.Equal(("team", Role, "eu-west-1"), (profile.Name, profile.Role, profile.Region));
    }

    [Fact]
    public void The_default_profile_is_found_under_its_own_header_and_may_have_no_region()
    {
        var file = Config($"[default]\ncredential_process = vouch credential aws --role={Role}\n");

        var profile = VouchProfile.Read(file, "default");

        Assert.Equal(("default", Role, (string?)null), (profile.Name, profile.Role, profile.Region));
    }

    [Theory]
    [InlineData("[profile team]\nregion = eu-west-1\n")]
    [InlineData("[profile team]\ncredential_process = other-tool --role arn:aws:iam::123456789012:role/X\n")]
    [InlineData("[profile team]\ncredential_process = vouch credential aws --role\n")]
    public void A_profile_vouch_does_not_serve_is_a_configuration_error(string text) =>
        Refused(text, "does not get its credentials from 'vouch credential aws --role ARN'");

    [Fact]
    public void A_missing_profile_or_a_role_that_is_no_role_is_a_configuration_error()
    {
        Refused("[profile other]\nregion = eu-west-1\n", "there is no profile 'team'");
        Refused("[profile team]\ncredential_process = vouch credential aws --role arn:aws:iam::123456789012:user/alice\n", "is not an IAM role ARN");
    }

    private void Refused(string text, string message)
    {
        var failure = Assert.Throws<CliException>(() => VouchProfile.Read(Config(text), "team"));
        Assert.Equal(ExitCodes.BadConfiguration, failure.ExitCode);
        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_is_a_configuration_error_that_says_what_to_run()
    {
        var failure = Assert.Throws<CliException>(() => VouchProfile.Read(_directory.File("absent"), "team"));

        Assert.Contains("vouch setup aws --profile team", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_config_file_is_aws_config_file_else_the_one_in_home()
    {
        Assert.Equal("/x/config", AwsConfigFile.DefaultPath(n => n == "AWS_CONFIG_FILE" ? "/x/config" : null));
        Assert.Equal("/home/a/.aws/config", AwsConfigFile.DefaultPath(n => n == "HOME" ? "/home/a" : null));
    }
}
