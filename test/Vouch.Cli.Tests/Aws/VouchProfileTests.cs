using Vouch.Cli.Aws;
using Vouch.Cli.Commands;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>Which profiles are Vouch's, what they ask for, and the <c>setup aws --list</c> table.</summary>
public sealed class VouchProfileTests
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";

    private static IReadOnlyList<VouchProfile> All(string text) => VouchProfile.All(AwsConfigFile.Parse(text, "config"));

    [Fact]
    public void The_line_setup_writes_reads_back_as_the_same_profile()
    {
        var line = VouchProfile.CredentialProcess("/opt/my tools/vouch", Role, "eu-west-1");

        var profile = Assert.Single(All($"[profile dev]\ncredential_process = {line}\nregion = eu-west-1\n"));

        Assert.Equal(("dev", "/opt/my tools/vouch", Role, "eu-west-1", 3600), (profile.Name, profile.Program, profile.Role, profile.Region, profile.Duration));
    }

    [Fact]
    public void Only_profiles_that_run_vouch_credential_aws_are_vouchs()
    {
        var profiles = All(
            "[default]\nregion = eu-west-1\n" +
            "[profile other]\ncredential_process = /usr/bin/aws-vault export --format=json x\n" +
            $"[profile token]\ncredential_process = /usr/bin/vouch credential token\n" +
            $"[profile mine]\ncredential_process = vouch credential aws --role={Role} --duration 900\nregion = ap-south-1\n");

        var profile = Assert.Single(profiles);
        Assert.Equal(("mine", "vouch", Role, "ap-south-1", 900), (profile.Name, profile.Program, profile.Role, profile.Region, profile.Duration));
    }

    [Fact]
    public void The_lines_region_comes_before_the_profiles()
    {
        var profile = Assert.Single(All($"[profile a]\ncredential_process = /bin/vouch credential aws --role {Role} --region eu-west-3\nregion = us-west-1\n"));

        Assert.Equal("eu-west-3", profile.Region);
    }

    [Fact]
    public void The_list_is_a_table_with_a_header_and_aligned_columns()
    {
        var profiles = All(
            $"[profile dev]\ncredential_process = /bin/vouch credential aws --role {Role}\nregion = eu-west-1\n" +
            "[profile x]\ncredential_process = /bin/vouch credential aws --duration 900\n");

        Assert.Equal(
            "PROFILE  ROLE                                           REGION     DURATION\n" +
            $"dev      {Role}  eu-west-1  3600\n" +
            "x        -                                              -          900\n",
            SetupAwsCommand.Table(profiles));
    }
}
