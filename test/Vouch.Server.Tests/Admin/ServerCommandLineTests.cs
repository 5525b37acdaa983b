using System.Collections;
using Vouch.Server.Admin;
using Xunit;

namespace Vouch.Server.Tests.Admin;

/// <summary>
/// Wrong command lines of <c>vouch-server</c>: one line per error in words (no .NET type names), then a pointer to
/// the help of the command as typed; exit 2, nothing on stdout, nothing opened.
/// </summary>
public sealed class ServerCommandLineTests
{
    private static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ServerCommandLine.InvokeAsync(arguments, new CommandContext(output, error, new Hashtable()));
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("vouch-server aws setup", "aws", "setup", "--bogus")]
    [InlineData("vouch-server users list", "users", "list", "--bogus")]
    [InlineData("vouch-server keys list", "keys", "list", "--json")]
    [InlineData("vouch-server keys rotate", "keys", "rotate", "--bogus")]
    [InlineData("vouch-server sessions revoke", "sessions", "revoke")]
    [InlineData("vouch-server", "--bogus")]
    public async Task The_usage_hint_names_the_command_as_typed(string command, params string[] arguments)
    {
        var (exit, output, error) = await RunAsync(arguments);

        Assert.Equal((ExitCodes.Usage, ""), (exit, output));
        Assert.EndsWith($"\nRun '{command} --help' for usage.\n", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--limit", "audit", "--limit", "abc")]
    [InlineData("--expires-in", "invite", "--email", "carol@example.com", "--expires-in", "abc")]
    [InlineData("--max-session-duration", "aws", "setup", "--issuer", "https://vouch.example.com", "--max-session-duration", "1h")]
    public async Task A_value_that_is_not_a_number_names_the_option_and_the_form_not_a_type(string option, params string[] arguments)
    {
        var (exit, output, error) = await RunAsync(arguments);

        Assert.Equal((ExitCodes.Usage, ""), (exit, output));
        Assert.StartsWith($"vouch-server: {option} takes a whole number, not '{arguments[^1]}'\n", error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aws_thumbprint_failing_does_not_suggest_a_flag_only_aws_setup_has()
    {
        var (exit, output, error) = await RunAsync("aws", "thumbprint", "--issuer", "https://localhost:1");

        Assert.Equal((ExitCodes.Failed, ""), (exit, output));
        Assert.StartsWith("vouch-server: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("--thumbprint", error, StringComparison.Ordinal);
    }
}
