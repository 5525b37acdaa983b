using Vouch.Cli;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests;

public sealed class AwsConfigEditorTests : IDisposable
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private const string Admin = "arn:aws:iam::123456789012:role/VouchAdmin";
    private readonly string _directory = Directory.CreateTempSubdirectory("vouch-aws-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static KeyValuePair<string, string>[] Settings(string role = Role, string region = "eu-west-1") =>
    [
        new("credential_process", $"/usr/local/bin/vouch credential aws --role {role} --format aws-credential-process"),
        new("region", region),
    ];

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "aws-config", name));

    [Fact]
    public void A_new_profile_is_appended_and_every_other_byte_stays()
    {
        var original = Fixture("comments-and-profiles.ini");

        var updated = AwsConfigEditor.Apply(original, "vouch", Settings(), force: false);

        Assert.StartsWith(original, updated, StringComparison.Ordinal);
        Assert.Equal(
            "\n[profile vouch]\n" + AwsConfigEditor.Marker + "\n" +
            $"credential_process = /usr/local/bin/vouch credential aws --role {Role} --format aws-credential-process\nregion = eu-west-1\n",
            updated[original.Length..]);
    }

    [Fact]
    public void Crlf_files_stay_crlf()
    {
        var original = Fixture("crlf.ini");

        var updated = AwsConfigEditor.Apply(original, "vouch", Settings(), force: false);

        Assert.StartsWith(original, updated, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", updated.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("[profile vouch]\r\n", updated, StringComparison.Ordinal);
    }

    [Fact]
    public void Running_again_updates_its_own_profile_in_place_and_keeps_keys_it_does_not_own()
    {
        var original = Fixture("existing-vouch.ini");

        var updated = AwsConfigEditor.Apply(original, "vouch", Settings(region: "eu-north-1"), force: false);

        Assert.Equal(
            "[profile vouch]\n" + AwsConfigEditor.Marker + "\n" +
            $"credential_process = /usr/local/bin/vouch credential aws --role {Role} --format aws-credential-process\n" +
            "region = eu-north-1\noutput = table\n\n[profile after]\nregion = eu-west-1\n",
            updated);
        Assert.Equal(updated, AwsConfigEditor.Apply(updated, "vouch", Settings(region: "eu-north-1"), force: false));
    }

    [Fact]
    public void A_profile_vouch_did_not_write_is_refused_unless_forced()
    {
        var original = Fixture("foreign-vouch.ini");

        var refused = Assert.Throws<CliException>(() => AwsConfigEditor.Apply(original, "vouch", Settings(), force: false));
        var forced = AwsConfigEditor.Apply(original, "vouch", Settings(), force: true);

        Assert.Equal(ExitCodes.BadConfiguration, refused.ExitCode);
        Assert.Contains("--force", refused.Message, StringComparison.Ordinal);
        Assert.StartsWith("[profile vouch]\n" + AwsConfigEditor.Marker + "\naws_access_key_id = AKIA-someone-elses\ncredential_process = ", forced, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_profile_has_no_profile_prefix()
    {
        var updated = AwsConfigEditor.Apply("", "default", Settings(), force: false);

        Assert.StartsWith("[default]\n" + AwsConfigEditor.Marker + "\n", updated, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_a_final_newline_gets_one_before_the_new_profile()
    {
        var updated = AwsConfigEditor.Apply("[default]\nregion = eu-west-1", "vouch", Settings(), force: false);

        Assert.StartsWith("[default]\nregion = eu-west-1\n\n[profile vouch]\n", updated, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_creates_a_private_aws_directory_and_file_atomically()
    {
        var path = Path.Combine(_directory, "home", ".aws", "config");

        AwsConfigEditor.Write(path, "vouch", Settings(), force: false);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(["config"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void A_refused_write_leaves_the_file_untouched()
    {
        var path = Path.Combine(_directory, "config");
        File.WriteAllText(path, Fixture("foreign-vouch.ini"));
        var before = File.ReadAllBytes(path);

        Assert.Throws<CliException>(() => AwsConfigEditor.Write(path, "vouch", Settings(), force: false));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void A_symlinked_config_stays_a_link_and_the_file_it_points_to_is_replaced_with_its_mode()
    {
        // As a dotfile manager leaves it: ~/.aws/config -> ../dotfiles/aws-config (relative), the file 0644.
        var dotfile = Path.Combine(_directory, "dotfiles", "aws-config");
        Directory.CreateDirectory(Path.GetDirectoryName(dotfile)!);
        File.WriteAllText(dotfile, "[default]\nregion = us-east-1\n");
        File.SetUnixFileMode(dotfile, (UnixFileMode)0x1A4);
        var config = Path.Combine(_directory, ".aws", "config");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        File.CreateSymbolicLink(config, Path.Combine("..", "dotfiles", "aws-config"));

        AwsConfigEditor.Write(config, "vouch", Settings(), force: false);

        Assert.Equal(Path.Combine("..", "dotfiles", "aws-config"), new FileInfo(config).LinkTarget);
        Assert.StartsWith("[default]\nregion = us-east-1\n\n[profile vouch]\n" + AwsConfigEditor.Marker, File.ReadAllText(dotfile), StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(dotfile));
        Assert.Equal(["aws-config"], Directory.GetFiles(Path.GetDirectoryName(dotfile)!).Select(Path.GetFileName));
        Assert.Equal(["config"], Directory.GetFiles(Path.GetDirectoryName(config)!).Select(Path.GetFileName));
    }

    [Fact]
    public void A_link_planted_at_the_temporary_name_is_neither_followed_nor_overwritten()
    {
        var config = Path.Combine(_directory, "config");
        File.WriteAllText(config, "[default]\nregion = us-east-1\n");
        var victim = Path.Combine(_directory, "victim");
        File.WriteAllText(victim, "not yours\n");
        var planted = Path.Combine(_directory, ".config.vouch-planted");
        File.CreateSymbolicLink(planted, victim);
        var names = new Queue<string>([".config.vouch-planted", ".config.vouch-fresh"]);

        AwsConfigEditor.Write(config, "vouch", Settings(), force: false, _ => names.Dequeue());

        Assert.Equal("not yours\n", File.ReadAllText(victim));
        Assert.Equal(victim, new FileInfo(planted).LinkTarget);
        Assert.Contains("[profile vouch]", File.ReadAllText(config), StringComparison.Ordinal);
        Assert.Null(new FileInfo(config).LinkTarget);
        Assert.False(File.Exists(Path.Combine(_directory, ".config.vouch-fresh")));
    }

    [Fact]
    public void When_every_temporary_name_is_taken_nothing_is_written_anywhere()
    {
        var config = Path.Combine(_directory, "config");
        File.WriteAllText(config, "[default]\nregion = us-east-1\n");
        var victim = Path.Combine(_directory, "victim");
        File.WriteAllText(victim, "not yours\n");
        File.CreateSymbolicLink(Path.Combine(_directory, ".config.vouch-planted"), victim);

        var error = Assert.Throws<CliException>(() => AwsConfigEditor.Write(config, "vouch", Settings(), force: false, _ => ".config.vouch-planted"));

        Assert.Equal(ExitCodes.Failed, error.ExitCode);
        Assert.Contains("names were taken; nothing was written", error.Message, StringComparison.Ordinal);
        Assert.Equal("not yours\n", File.ReadAllText(victim));
        Assert.Equal("[default]\nregion = us-east-1\n", File.ReadAllText(config));
    }

    [Fact]
    public void A_header_with_a_comment_after_it_is_found_and_updated_in_place()
    {
        var original = "[profile vouch]  # mine\n" + AwsConfigEditor.Marker + "\nregion = us-east-1\n\n[profile other]  # keep me\nregion = eu-west-1\n";

        var updated = AwsConfigEditor.Apply(original, "vouch", Settings(), force: false);

        Assert.Equal(
            "[profile vouch]  # mine\n" + AwsConfigEditor.Marker + "\nregion = eu-west-1\n" +
            $"credential_process = /usr/local/bin/vouch credential aws --role {Role} --format aws-credential-process\n" +
            "\n[profile other]  # keep me\nregion = eu-west-1\n",
            updated);
        Assert.Single(AwsConfigFile.Parse(updated, "config").Profiles(), p => p.Profile == "vouch");
    }

    [Fact]
    public void Several_profiles_stay_side_by_side_and_each_is_updated_alone()
    {
        var twoRoles = AwsConfigEditor.Apply(AwsConfigEditor.Apply("", "dev", Settings(), force: false), "admin", Settings(role: Admin), force: false);

        var updated = AwsConfigEditor.Apply(twoRoles, "dev", Settings(region: "eu-north-1"), force: false);

        var file = AwsConfigFile.Parse(updated, "config");
        Assert.Equal(["dev", "admin"], file.Profiles().Select(p => p.Profile));
        Assert.Equal("eu-north-1", file.Profile("dev")!.Settings["region"].Value);
        Assert.Equal("eu-west-1", file.Profile("admin")!.Settings["region"].Value);
        Assert.Contains(Admin, file.Profile("admin")!.Settings["credential_process"].Value, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_it_replaces_loses_its_nested_lines()
    {
        var original = "[profile vouch]\n" + AwsConfigEditor.Marker + "\nregion =\n  nested = 1\noutput = json\n";

        var updated = AwsConfigEditor.Apply(original, "vouch", [new("region", "eu-west-1")], force: false);

        Assert.Equal("[profile vouch]\n" + AwsConfigEditor.Marker + "\nregion = eu-west-1\noutput = json\n", updated);
    }

    [Fact]
    public void A_file_the_aws_cli_rejects_is_not_written_into()
    {
        var error = Assert.Throws<CliException>(() => AwsConfigEditor.Apply("[default]\nregion eu-west-1\n", "vouch", Settings(), force: false, "/home/alice/.aws/config"));

        Assert.Equal(ExitCodes.BadConfiguration, error.ExitCode);
        Assert.StartsWith("/home/alice/.aws/config line 2: ", error.Message, StringComparison.Ordinal);
    }
}
