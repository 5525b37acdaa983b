using Vouch.Cli.Aws;
using Vouch.Cli.Commands;
using Vouch.Cli.Server;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary><c>vouch setup aws</c> through the command line, on a config file in a temporary directory.</summary>
public sealed class SetupAwsCommandTests : IDisposable
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private readonly TemporaryDirectory _directory = new("vouch-setup-");

    public void Dispose() => _directory.Dispose();

    private async Task<(int Exit, string Out, string Error)> RunAsync(string configFile, params string[] arguments)
    {
        var console = new CapturedConsole();
        var environment = new Dictionary<string, string?>
        {
            ["AWS_CONFIG_FILE"] = configFile,
            ["VOUCH_CONFIG_DIR"] = _directory.File("vouch"),
            ["VOUCH_AGENT_SOCKET"] = _directory.File("run/agent.sock"),
        };
        using var connections = new ServerConnections(TimeProvider.System);
        var context = new CliContext(console, name => environment.GetValueOrDefault(name), new Lazy<ServerConnections>(() => connections));
        var exit = await VouchCommandLine.InvokeAsync(arguments, context);
        return (exit, console.Out.ToString()!, console.Errors.ToString()!);
    }

    [Fact]
    public async Task Running_setup_again_keeps_arguments_added_by_hand_to_the_credential_process_line()
    {
        var config = _directory.File("config");
        await File.WriteAllTextAsync(config,
            $"[profile vouch]\n{AwsConfigEditor.Marker}\n" +
            $"credential_process = /opt/bin/vouch credential aws --role {Role} --format aws-credential-process --region eu-west-1 --duration 900\n" +
            "region = eu-west-1\n");

        var (exit, _, error) = await RunAsync(config, "setup", "aws", "--role", Role + "2", "--region", "eu-west-2");

        Assert.True(exit == ExitCodes.Ok, error);
        var section = AwsConfigFile.Load(config)!.Profile("vouch")!;
        var words = ShellWords.Split(section.Settings["credential_process"].Value)!;
        Assert.Equal(["credential", "aws", "--role", Role + "2", "--format", "aws-credential-process", "--region", "eu-west-2", "--duration", "900"], words[1..]);
        Assert.Equal("eu-west-2", section.Settings["region"].Value);
    }

    [Fact]
    public async Task A_symbolic_link_loop_at_the_config_file_is_refused_with_the_documented_line()
    {
        var (first, second) = (_directory.File("a"), _directory.File("b"));
        File.CreateSymbolicLink(first, second);
        File.CreateSymbolicLink(second, first);

        var written = await RunAsync(first, "setup", "aws", "--role", Role);
        var listed = await RunAsync(first, "setup", "aws", "--list");

        foreach (var (exit, output, error) in new[] { written, listed })
        {
            Assert.Equal((ExitCodes.BadConfiguration, ""), (exit, output));
            Assert.StartsWith($"vouch: {first} is a symbolic link that cannot be followed (", error, StringComparison.Ordinal);
            Assert.EndsWith("): fix the link, then run this again\n", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_duration_that_is_not_a_number_names_the_option_not_a_type()
    {
        var (exit, output, error) = await RunAsync(_directory.File("config"), "credential", "aws", "--role", Role, "--duration", "abc");

        Assert.Equal((ExitCodes.Usage, ""), (exit, output));
        Assert.Equal("vouch: --duration takes a whole number, not 'abc'\nRun 'vouch --help' for usage.\n", error);
    }
}
