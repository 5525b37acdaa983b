using Vouch.Cli;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>The AWS config file read as the AWS CLI (botocore on Python's configparser) reads it.</summary>
public sealed class AwsConfigFileTests
{
    private static AwsConfigFile Parse(string text) => AwsConfigFile.Parse(text, "/home/alice/.aws/config");

    private static string? Region(AwsConfigFile file, string profile) =>
        file.Profile(profile)?.Settings.GetValueOrDefault("region")?.Value;

    [Theory]
    [InlineData("[profile other]  # keep me\nregion = eu-west-1\n")]
    [InlineData("[profile other] ; keep me\nregion = eu-west-1\n")]
    [InlineData("; a comment\n# another\n[profile other]\n  ; indented comment\nregion = eu-west-1\n")]
    [InlineData("[sso-session x]\nsso_region = us-east-1\n[services y]\ns3 =\n  endpoint_url = http://localhost:1\n[profile other]\nregion = eu-west-1")]
    [InlineData("[profile other]\r\nregion = eu-west-1\r\n")]
    [InlineData("[profile other]\nRegion: eu-west-1\n")]
    [InlineData("[profile  other ]\nregion=eu-west-1\n")]
    [InlineData("[profile \"other\"]\nregion = eu-west-1\n")]
    public void Files_the_aws_cli_accepts_give_the_profiles_region(string text) =>
        Assert.Equal("eu-west-1", Region(Parse(text), "other"));

    [Theory]
    [InlineData("region = eu-west-1\n[default]\n", 1, "comes before any [section]")]
    [InlineData("[default]\nregion eu-west-1\n", 2, "is not a [section], a key = value setting or a comment")]
    [InlineData("[default]\n= eu-west-1\n", 2, "is not a [section]")]
    [InlineData("[default]\n[profile a]\n\n[default]\n", 4, "the section [default] appears a second time")]
    [InlineData("[default]\nregion = a\nREGION = b\n", 3, "'region' is set twice in [default]")]
    [InlineData("[services y]\ns3 =\n  endpoint_url http://x\n", 3, "has no '='")]
    public void Files_the_aws_cli_rejects_are_one_line_naming_the_file_and_the_line(string text, int line, string problem)
    {
        var error = Assert.Throws<CliException>(() => Parse(text));

        Assert.Equal(ExitCodes.BadConfiguration, error.ExitCode);
        Assert.StartsWith($"/home/alice/.aws/config line {line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Profiles_are_named_as_botocore_names_them()
    {
        var file = Parse("[default]\nregion = a\n[profile]\n[profiles]\n[profile x y]\n[preview]\n[profile b]\nregion = c\n[profile default]\nregion = d\n");

        Assert.Equal(["b", "default"], file.Profiles().Select(p => p.Profile).Order());
        // The later section for a profile wins, as in botocore.
        Assert.Equal("d", Region(file, "default"));
    }

    [Fact]
    public void Indented_lines_continue_the_setting_above_and_a_blank_line_does_not_end_it()
    {
        var file = Parse("[profile a]\ns3 =\n  max_concurrent_requests = 20\n\n  addressing_style = path\nregion = eu-west-1\n");

        var s3 = file.Profile("a")!.Settings["s3"];
        Assert.Equal("\nmax_concurrent_requests = 20\n\naddressing_style = path", s3.Value);
        Assert.Equal(2, s3.LineNumber);
        Assert.Equal(AwsConfigLineKind.Continuation, file.Lines[4].Kind);
        Assert.Equal("eu-west-1", Region(file, "a"));
    }

    [Fact]
    public void Values_keep_what_follows_a_hash_because_the_aws_cli_does()
    {
        var file = Parse("[profile a]\nregion = eu-west-1 # Ireland\n");

        Assert.Equal("eu-west-1 # Ireland", Region(file, "a"));
    }

    [Fact]
    public void A_missing_file_has_no_profiles() =>
        Assert.Null(AwsConfigFile.Load(Path.Combine(Path.GetTempPath(), $"vouch-missing-{Guid.NewGuid():N}", "config")));

    [Theory]
    [InlineData("/usr/bin/vouch credential aws --role R", new[] { "/usr/bin/vouch", "credential", "aws", "--role", "R" })]
    [InlineData("'/opt/my tools/vouch' credential  aws", new[] { "/opt/my tools/vouch", "credential", "aws" })]
    [InlineData("\"/opt/my \\\"tools\\\"/vouch\" a\\ b", new[] { "/opt/my \"tools\"/vouch", "a b" })]
    public void Credential_process_lines_split_into_words_as_botocore_splits_them(string line, string[] words) =>
        Assert.Equal(words, ShellWords.Split(line)!);

    [Fact]
    public void An_unclosed_quote_is_no_command_line() => Assert.Null(ShellWords.Split("'/opt/vouch credential aws"));

    [Fact]
    public void Quoting_a_word_splits_back_to_it()
    {
        foreach (var word in new[] { "/usr/local/bin/vouch", "/opt/my tools/vouch", "/it's/vouch" })
            Assert.Equal([word], ShellWords.Split(ShellWords.Quote(word))!);
    }
}
