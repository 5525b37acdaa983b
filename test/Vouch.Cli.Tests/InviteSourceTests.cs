using Vouch.Cli.Commands;
using Vouch.Cli.Terminal;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests;

/// <summary>Where <c>vouch enroll</c> takes its invite code from, and that it never shows it (security.md M1).</summary>
public sealed class InviteSourceTests : IDisposable
{
    private const string Code = "vi_SecretInviteCode";
    private readonly TemporaryDirectory _directory = new("vouch-invite-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void On_a_terminal_the_code_is_asked_without_echo()
    {
        var console = new PromptConsole($"  {Code}  ");

        Assert.Equal(Code, InviteSource.Read(console, argument: null, file: null));
        Assert.Equal([InviteSource.Prompt], console.SecretPrompts);
        Assert.DoesNotContain(Code, console.Errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_terminal_the_code_is_the_first_line_of_standard_input_trimmed()
    {
        var console = new CapturedConsole($" {Code} \nsomething else\n");

        Assert.Equal(Code, InviteSource.Read(console, argument: null, file: null));
        Assert.Equal("", console.Errors.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    public void Empty_standard_input_is_a_usage_error_that_names_the_ways_to_give_a_code(string input)
    {
        var failure = Assert.Throws<CliException>(() => InviteSource.Read(new CapturedConsole(input), null, null));

        Assert.Equal(FailureKind.Usage, failure.Kind);
        Assert.Equal("no invite code: type the code from your administrator when asked, pipe it on standard input, or pass --invite-file FILE", failure.Message);
    }

    [Fact]
    public void An_empty_answer_at_the_prompt_is_a_usage_error()
    {
        var failure = Assert.Throws<CliException>(() => InviteSource.Read(new PromptConsole(""), null, null));
        Assert.Equal(FailureKind.Usage, failure.Kind);
    }

    [Fact]
    public void A_private_invite_file_gives_its_first_line_and_nothing_is_printed()
    {
        var file = PrivateFile($"{Code}\r\nignored\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var console = new CapturedConsole();

        Assert.Equal(Code, InviteSource.Read(console, null, file));
        Assert.Equal("", console.Errors.ToString());
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.OtherRead)]
    public void An_invite_file_others_can_read_is_refused_without_showing_the_code(UnixFileMode mode)
    {
        var file = PrivateFile(Code, mode);

        var failure = Assert.Throws<CliException>(() => InviteSource.Read(new CapturedConsole(), null, file));

        Assert.Equal(FailureKind.BadConfiguration, failure.Kind);
        Assert.Equal($"the invite file {file} can be read by other users: make it private (chmod 600 {file}) and run the command again", failure.Message);
    }

    [Fact]
    public void A_missing_invite_file_is_a_configuration_error()
    {
        var failure = Assert.Throws<CliException>(() => InviteSource.Read(new CapturedConsole(), null, _directory.File("none")));
        Assert.Equal(FailureKind.BadConfiguration, failure.Kind);
    }

    [Fact]
    public void The_invite_option_still_works_but_warns_once_on_stderr_without_the_code()
    {
        var console = new CapturedConsole();

        Assert.Equal(Code, InviteSource.Read(console, $" {Code}\n", null));

        Assert.Equal(InviteSource.ArgvWarning + Environment.NewLine, console.Errors.ToString());
        Assert.DoesNotContain(Code, console.Errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_invite_option_and_an_invite_file_together_are_a_usage_error()
    {
        var failure = Assert.Throws<CliException>(() => InviteSource.Read(new CapturedConsole(), Code, _directory.File("x")));
        Assert.Equal(FailureKind.Usage, failure.Kind);
    }

    private string PrivateFile(string content, UnixFileMode mode)
    {
        var path = _directory.File("invite.txt");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>A terminal: answers the no-echo prompt with <paramref name="typed"/>.</summary>
    private sealed class PromptConsole(string typed) : IConsole
    {
        public TextWriter Out { get; } = new StringWriter();
        public TextWriter Errors { get; } = new StringWriter();
        public bool IsInteractive => true;
        public List<string> SecretPrompts { get; } = [];
        public string? ReadLine(string prompt) => throw new InvalidOperationException("the code is never read with echo");

        public string? ReadSecret(string prompt)
        {
            SecretPrompts.Add(prompt);
            return typed;
        }

        public string? ReadRedirectedLine() => throw new InvalidOperationException("a terminal is prompted, not read as a pipe");
    }
}
