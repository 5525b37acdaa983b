using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Vouch.Cli.Agent;
using Vouch.Cli.Aws;
using Vouch.Cli.Commands;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests;

/// <summary>
/// The hot path (<see cref="HotPath"/>: <c>credential aws</c> and <c>status</c> without the command line) against the
/// full command line, both asking one real agent socket with the same environment: the same request, the same stdout,
/// stderr and exit code on success and on each error; and everything it does not take is left, untouched, to the full
/// command line.
/// </summary>
public sealed class HotPathTests : IAsyncLifetime
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private static readonly string[] Aws = ["credential", "aws", "--role", Role, "--format", CredentialCommand.CredentialProcessFormat];
    private static readonly string[] Status = ["status"];

    private readonly TestAgent _agent = new("vouch-hot-");
    private readonly ServerConnections _connections = new(TimeProvider.System);
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Dictionary<string, string?> _environment = [];

    public HotPathTests()
    {
        _environment["VOUCH_AGENT_SOCKET"] = Paths.AgentSocket;
        _environment["VOUCH_CONFIG_DIR"] = Paths.ConfigDirectory;
        _environment["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9";
        _environment["AWS_REGION"] = "eu-west-1";
    }

    private CliPaths Paths => _agent.Paths;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _connections.Dispose();
    }

    private static AwsCredentials Credentials => new()
    {
        AccessKeyId = "ASIAHOTPATH", SecretAccessKey = "secret+/=", SessionToken = "token\"with\\quotes<&>",
        Expiration = new DateTimeOffset(2026, 11, 26, 18, 30, 15, TimeSpan.Zero), RoleArn = Role, Region = "eu-west-1",
    };

    public static TheoryData<string, string[], int> AgentAnswers => new()
    {
        { "credentials", Aws, ExitCodes.Ok },
        { "credentials", ["credential", "aws", "--region", "eu-west-1", "--duration", "900", "--role", Role], ExitCodes.Ok },
        { "ok without credentials", Aws, ExitCodes.Failed },
        { "aws_refused", Aws, ExitCodes.AwsRefused },
        { "not_logged_in", Aws, ExitCodes.NotLoggedIn },
        { "user_disabled", Aws, ExitCodes.Refused },
        { "internal", Aws, ExitCodes.AgentFailed },
        { "busy", Aws, ExitCodes.Failed },
        { "session", Status, ExitCodes.Ok },
        { "session with a non-ASCII email", Status, ExitCodes.Ok },
        { "session the server could not confirm", Status, ExitCodes.Ok },
        { "not_logged_in", Status, ExitCodes.NotLoggedIn },
        { "user_disabled", Status, ExitCodes.Refused },
        { "internal", Status, ExitCodes.AgentFailed },
    };

    [Theory]
    [MemberData(nameof(AgentAnswers))]
    public async Task The_hot_path_sends_the_same_request_and_prints_the_same_as_the_full_command_line_for_each_answer_of_the_agent(
        string answer, string[] arguments, int exitCode)
    {
        await StartAgentAsync(_ => Answer(answer));

        var full = await FullAsync(arguments);
        var hot = await HotAsync(arguments);

        Assert.Equal(exitCode, full.ExitCode);
        Assert.Equal(full, hot);
        Assert.Equal(2, _requests.Count);
        Assert.Single(_requests.Distinct());
        Assert.NotEqual("", exitCode == ExitCodes.Ok ? hot.Output : hot.Errors);
    }

    public static TheoryData<string, string[], int> LocalFailures => new()
    {
        { "no agent", Aws, ExitCodes.NotLoggedIn },
        { "no agent", Status, ExitCodes.NotLoggedIn },
        { "an agent directory open to others", Aws, ExitCodes.BadConfiguration },
        { "an agent directory open to others", Status, ExitCodes.BadConfiguration },
        { "an agent that hangs up", Aws, ExitCodes.AgentFailed },
        { "an agent that hangs up", Status, ExitCodes.AgentFailed },
        { "another program on the socket", Aws, ExitCodes.AgentFailed },
        { "no role ARN", ["credential", "aws", "--role", "arn:aws:iam::1:role/x"], ExitCodes.BadConfiguration },
        { "a duration too short", ["credential", "aws", "--role", Role, "--duration", "60"], ExitCodes.BadConfiguration },
        { "no region", ["credential", "aws", "--role", Role, "--region", "nowhere"], ExitCodes.BadConfiguration },
        { "plain http to a host that is not loopback", Aws, ExitCodes.BadConfiguration },
    };

    [Theory]
    [MemberData(nameof(LocalFailures))]
    public async Task The_hot_path_fails_with_the_same_words_and_exit_code_as_the_full_command_line(string failure, string[] arguments, int exitCode)
    {
        Directory.CreateDirectory(Paths.AgentDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        switch (failure)
        {
            case "an agent directory open to others":
                File.SetUnixFileMode(Paths.AgentDirectory, (UnixFileMode)0x1ED);
                break;
            case "an agent that hangs up":
                StartRawAgent(null);
                break;
            case "another program on the socket":
                StartRawAgent("220 smtp.example.com ESMTP\n");
                break;
            case "plain http to a host that is not loopback":
                _environment["AWS_ENDPOINT_URL_STS"] = "http://sts.example.com";
                break;
        }

        var full = await FullAsync(arguments);
        var hot = await HotAsync(arguments);

        Assert.Equal(exitCode, full.ExitCode);
        Assert.Equal(full, hot);
        Assert.Equal("", hot.Output);
        // Every error line has the prefix, "not logged in" from status too (docs-audit: status dropped it).
        Assert.StartsWith(arguments[0] == "status" && failure == "no agent" ? "vouch: " + AgentErrors.NotLoggedInMessage : "vouch: ", hot.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "--json")]
    [InlineData("status", "--help")]
    [InlineData("--version")]
    [InlineData("credential", "aws")]
    [InlineData("credential", "aws", "--help")]
    [InlineData("credential", "aws", "--role=" + Role)]
    [InlineData("credential", "aws", "--role", Role, "--role", Role)]
    [InlineData("credential", "aws", "--role", Role, "--format", "env")]
    [InlineData("credential", "aws", "--role", Role, "--format", "json")]
    [InlineData("credential", "aws", "--role", Role, "--format", "yaml")]
    [InlineData("credential", "aws", "--role", Role, "--duration", "+900")]
    [InlineData("credential", "aws", "--role", Role, "--duration", "99999999999")]
    [InlineData("credential", "aws", "--role", Role, "--duration")]
    [InlineData("credential", "aws", "--role", "@role.txt")]
    [InlineData("credential", "aws", "--role", "-h")]
    [InlineData("credential", "aws", "--role", "")]
    [InlineData("credential", "aws", "--role", Role, "--unknown", "x")]
    [InlineData("credential", "aws", "--role", Role, "--", "x")]
    [InlineData("credential", "token")]
    public async Task Anything_else_is_left_to_the_full_command_line_before_anything_is_sent(params string[] arguments)
    {
        await StartAgentAsync(_ => Answer("credentials"));
        var output = new MemoryStream();
        var text = new StringWriter();
        var errors = new StringWriter();

        var exitCode = await Task.Run(() => HotPath.TryRun(arguments, Environment, () => output, () => text, () => errors));

        Assert.Null(exitCode);
        Assert.Empty(_requests);
        Assert.Equal((0L, "", ""), (output.Length, text.ToString(), errors.ToString()));
    }

    private string? Environment(string name) => _environment.GetValueOrDefault(name);

    private async Task<(int? ExitCode, string Output, string Errors)> FullAsync(string[] arguments)
    {
        var console = new CapturedConsole();
        var exitCode = await VouchCommandLine.InvokeAsync(arguments, new CliContext(console, Environment, new Lazy<ServerConnections>(() => _connections)));
        return (exitCode, console.Out.ToString()!, console.Errors.ToString()!);
    }

    private async Task<(int? ExitCode, string Output, string Errors)> HotAsync(string[] arguments)
    {
        var output = new MemoryStream();
        var text = new StringWriter();
        var errors = new StringWriter();
        // Blocking calls: off the test's thread, as the agent answers on the thread pool of this same process.
        var exitCode = await Task.Run(() => HotPath.TryRun(arguments, Environment, () => output, () => text, () => errors));
        Assert.NotNull(exitCode);
        return (exitCode, Encoding.UTF8.GetString(output.ToArray()) + text, errors.ToString());
    }

    private static AgentResponse Answer(string answer) => answer switch
    {
        "credentials" => new AgentResponse { Ok = true, Email = "alice@example.com", Server = "https://vouch.example.com", Credentials = Credentials },
        "ok without credentials" => new AgentResponse { Ok = true, Email = "alice@example.com" },
        "session" => Session("alice@example.com", null),
        "session with a non-ASCII email" => Session("ålice@exämple.com", null),
        "session the server could not confirm" => Session("alice@example.com", "https://vouch.example.com could not be reached (connection refused)"),
        AgentErrors.NotLoggedIn => AgentResponse.Fail(AgentErrors.NotLoggedIn, AgentErrors.NotLoggedInMessage),
        AgentErrors.UserDisabled => AgentResponse.Fail(AgentErrors.UserDisabled, "your Vouch account is disabled; ask your administrator"),
        AgentErrors.AwsRefused => AgentResponse.Fail(AgentErrors.AwsRefused, "AWS STS refused AssumeRoleWithWebIdentity: AccessDenied: not authorized"),
        AgentErrors.Busy => AgentResponse.Fail(AgentErrors.Busy, "the vouch agent is answering 256 requests already: try again"),
        _ => AgentResponse.Fail(AgentErrors.Internal, "the agent failed: InvalidOperationException; see its log"),
    };

    private static AgentResponse Session(string email, string? unconfirmed) => new()
    {
        Ok = true, Email = email, Server = "https://vouch.example.com", ExpiresAt = new DateTimeOffset(2026, 11, 27, 1, 15, 0, TimeSpan.Zero), Message = unconfirmed,
    };

    /// <summary>The real listener with a stand-in dispatcher that keeps every request (as its JSON) and answers <paramref name="answer"/>.</summary>
    private async Task StartAgentAsync(Func<AgentRequest, AgentResponse> answer)
    {
        await _agent.ListenAsync((request, _) =>
        {
            if (request.Op != AgentOperations.Ping)
                _requests.Enqueue(System.Text.Json.JsonSerializer.Serialize(request, CliJsonContext.Default.AgentRequest));
            return Task.FromResult(answer(request));
        });
    }

    /// <summary>A listener that is not the agent: reads the request line, writes <paramref name="reply"/> (or nothing) and hangs up.</summary>
    private void StartRawAgent(string? reply)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Paths.AgentSocket));
        listener.Listen(8);
        _agent.Run(async stop =>
        {
            using (listener)
            {
                while (!stop.IsCancellationRequested)
                {
                    Socket connection;
                    try
                    {
                        connection = await listener.AcceptAsync(stop);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    using (connection)
                    {
                        var buffer = new byte[4096];
                        await connection.ReceiveAsync(buffer.AsMemory(), stop);
                        if (reply is not null) await connection.SendAsync(Encoding.ASCII.GetBytes(reply), stop);
                    }
                }
            }
        });
    }
}
