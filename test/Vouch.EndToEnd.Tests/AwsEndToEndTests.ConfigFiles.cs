using System.Text.Json;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

// AWS config files the AWS CLI accepts or rejects.
public sealed partial class AwsEndToEndTests
{
    /// <summary>Config files the AWS CLI reads without complaint (each is checked with the AWS CLI first).</summary>
    public static TheoryData<string, string> AcceptedConfigFiles => new()
    {
        { "an inline comment after a header", "[profile other]  # keep me\nregion = eu-west-1\n" },
        { "semicolon comments", "; a comment\n[profile other]\n; another\nregion = eu-west-1\n" },
        { "sso-session and services sections", "[sso-session x]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n\n[services y]\ns3 =\n  endpoint_url = http://localhost:1\n\n[profile other]\nregion = eu-west-1\nservices = y\n" },
        { "no final line ending", "[default]\noutput = json\n\n[profile other]\nregion = eu-west-1" },
        { "CRLF line endings", "[default]\r\noutput = json\r\n\r\n[profile other]\r\nregion = eu-west-1\r\n" },
    };

    [Theory]
    [MemberData(nameof(AcceptedConfigFiles))]
    public async Task Credential_aws_works_with_any_config_file_the_aws_cli_accepts(string what, string config)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(AwsConfigFile)!);
        await File.WriteAllTextAsync(AwsConfigFile, config);
        var accepted = await AwsAsync("configure", "list", "--profile", "other");
        Assert.True(accepted.ExitCode == 0, $"{what}: the AWS CLI itself rejects the fixture: {accepted.StandardError}");
        await LoginAsync();

        var result = await VouchAsync("credential", "aws", "--role", Role);
        var viaProfile = await ProcessRunner.RunAsync(CliSandbox.Binary, ["credential", "aws", "--role", Role, "--format", "json"],
            new Dictionary<string, string?>(AwsEnvironment()) { ["AWS_PROFILE"] = "other" }, _user.Home, TimeSpan.FromSeconds(60), standardInput: "");

        Assert.True(result.ExitCode == 0, $"{what}: {result.StandardError}");
        Assert.Equal("", result.StandardError);
        Assert.Equal(1, JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("Version").GetInt32());
        Assert.True(viaProfile.ExitCode == 0, $"{what}: {viaProfile.StandardError}");
        Assert.Equal("eu-west-1", JsonDocument.Parse(viaProfile.StandardOutput).RootElement.GetProperty("region").GetString());
    }

    [Fact]
    public async Task A_config_file_the_aws_cli_rejects_is_one_line_that_names_the_file_and_the_line()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(AwsConfigFile)!);
        await File.WriteAllTextAsync(AwsConfigFile, "[profile other]\nregion eu-west-1\n");
        Assert.NotEqual(0, (await AwsAsync("configure", "list", "--profile", "other")).ExitCode);
        await LoginAsync();

        var result = await VouchAsync("credential", "aws", "--role", Role);
        var setup = await VouchAsync("setup", "aws", "--role", Role);

        Assert.Equal(7, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        Assert.Equal($"vouch: {AwsConfigFile} line 2: 'region eu-west-1' is not a [section], a key = value setting or a comment; the AWS CLI cannot read this file either: fix that line",
            result.StandardError.TrimEnd('\n'));
        Assert.Equal(7, setup.ExitCode);
        Assert.Contains($"{AwsConfigFile} line 2", setup.StandardError, StringComparison.Ordinal);
        // With the region given, the file is not needed: the agent never reads it.
        Assert.Equal(0, (await VouchAsync("credential", "aws", "--role", Role, "--region", "eu-west-1")).ExitCode);
    }
}
