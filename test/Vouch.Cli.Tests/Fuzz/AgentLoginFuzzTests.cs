using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Vouch.Cli.Agent;
using Vouch.Cli.Server;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.Cli.Tests.Fuzz;

/// <summary>
/// Fuzz finding F6 (docs/security.md): the real agent's <c>login</c> keeps only a server URL the CLI accepts and a
/// session of the token alphabet, and refuses the rest <c>bad_request</c>; no agent line, however mutated, gets an
/// <c>internal</c> answer or a .NET type name. Seeds are fixed (see <see cref="Vouch.Testing.Fuzz"/>).
/// </summary>
public sealed partial class AgentLoginFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ServerConnections _connections = new(TimeProvider.System);
    private TestAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await TestAgent.StartAsync(TimeProvider.System, _connections, "vouch-f6-");

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _connections.Dispose();
    }

    [GeneratedRegex(@"\b(System|Microsoft|Vouch)\.[A-Z]|[A-Za-z]+Exception\b")]
    private static partial Regex TypeName();

    /// <summary>One line to the agent's socket, as the campaign sent it (written, then half-closed); the answer.</summary>
    private async Task<JsonElement> TalkAsync(byte[] line)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_agent.Paths.AgentSocket));
        await socket.SendAsync(line);
        socket.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0) received.Write(buffer, 0, read);
        var text = Encoding.UTF8.GetString(received.ToArray());
        Assert.False(TypeName().IsMatch(text), $"the answer names a .NET type: {text}");
        var answer = JsonDocument.Parse(text).RootElement.Clone();
        Assert.NotEqual(AgentErrors.Internal, answer.TryGetProperty("error", out var error) ? error.GetString() : null);
        return answer;
    }

    private static string Error(JsonElement answer) => answer.TryGetProperty("error", out var error) ? error.GetString() ?? "" : "";

    [Fact]
    public async Task F6_the_reproducer_logins_are_refused_as_bad_requests_and_later_ops_are_not_internal()
    {
        var port = FreePort.Next();
        var server = $"http://localhost:{port}";

        var badPort = await TalkAsync("{\"op\":\"login\",\"server\":\"http://localhost:99999\",\"session\":\"vs_x\",\"email\":\"a@example.com\",\"expires_at\":\"2030-01-01T00:00:00Z\"}\n"u8.ToArray());
        Assert.Equal(AgentErrors.BadRequest, Error(badPort));
        Assert.Equal(AgentErrors.NotLoggedIn, Error(await TalkAsync("{\"op\":\"token\",\"server\":\"http://localhost:99999\"}\n"u8.ToArray())));
        Assert.True((await TalkAsync("{\"op\":\"logout\",\"server\":\"http://localhost:99999\"}\n"u8.ToArray())).GetProperty("ok").GetBoolean());

        var newline = await TalkAsync(Encoding.UTF8.GetBytes("{\"op\":\"login\",\"server\":\"" + server + "\",\"session\":\"vs_x\\n\",\"email\":\"a@example.com\",\"expires_at\":\"2030-01-01T00:00:00Z\"}\n"));
        Assert.Equal(AgentErrors.BadRequest, Error(newline));
        Assert.Equal(AgentErrors.NotLoggedIn, Error(await TalkAsync(Encoding.UTF8.GetBytes("{\"op\":\"token\",\"server\":\"" + server + "\"}\n"))));
        Assert.Equal(AgentErrors.NotLoggedIn, Error(await TalkAsync(Encoding.UTF8.GetBytes("{\"op\":\"status\",\"server\":\"" + server + "\"}\n"))));

        // A well-formed login is still kept.
        var kept = await TalkAsync(Encoding.UTF8.GetBytes("{\"op\":\"login\",\"server\":\"" + server + "\",\"session\":\"vs_abc-_09\",\"email\":\"a@example.com\",\"expires_at\":\"2030-01-01T00:00:00Z\"}\n"));
        Assert.True(kept.GetProperty("ok").GetBoolean(), kept.ToString());
    }

    private static Gen<string> AnyString() => ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "");

    /// <summary>Server URLs: the loopback ones a CLI accepts (nothing listens there), and the campaign's mutations.</summary>
    private static Gen<string> Servers(int port) => Gen.OneOf(
        Gen.Elements($"http://127.0.0.1:{port}", $"http://localhost:{port}", "http://localhost:99999", "http://localhost:-1", "http://", "https://",
            "ftp://127.0.0.1", "http://[::1", "http://127.0.0.1:1:2", "http://exa mple.localhost", "http://\u00e9.localhost:1", "//127.0.0.1",
            "http://127.0.0.1\n:1", "http://127.0.0.1:1/\u0000", "file:///etc/passwd", "http://evil.example.com", "", " ", "\t"),
        AnyString(),
        Gen.Zip(Gen.Elements("http://127.0.0.1:", "http://localhost:"), AnyString()).Select(p => p.Item1 + p.Item2));

    private static Gen<string> Sessions() => Gen.OneOf(
        Gen.Elements("vs_x", "vs_x\n", "vs_\r\nX-Injected: 1", "vs_ x", "vs_\u0000", "vs_\u00e9", "", " ", "vs_" + new string('A', 5000), "vs_%0a", "Bearer vs_x"),
        AnyString(),
        AnyString().Select(s => "vs_" + s));

    private static Gen<byte[]> Lines(int port) =>
        from op in Gen.Elements(AgentOperations.Login, AgentOperations.Login, AgentOperations.Login, AgentOperations.Token, AgentOperations.Status, AgentOperations.Logout, AgentOperations.Aws)
        from server in Servers(port)
        from session in Sessions()
        from email in Gen.OneOf(Gen.Elements("a@example.com", "", "\n"), AnyString())
        from expires in Gen.Elements("2030-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "not a date")
        select Encoding.UTF8.GetBytes(new JsonObject
        {
            ["op"] = op, ["server"] = server, ["session"] = session, ["email"] = email, ["expires_at"] = expires,
            ["role"] = "arn:aws:iam::123456789012:role/Dev", ["duration"] = 900, ["region"] = "eu-west-1", ["sts_endpoint"] = $"http://127.0.0.1:{port}",
        }.ToJsonString() + "\n");

    [Fact]
    public async Task Mutated_agent_lines_never_get_an_internal_answer_or_a_type_name()
    {
        var port = FreePort.Next();
        var run = await Vouch.Testing.Fuzz.CheckAsync("agent login lines", seed: 20261220, count: 400, Lines(port), async line =>
        {
            var answer = await TalkAsync(line);
            var request = JsonNode.Parse(line)!;
            if ((string?)request["op"] != AgentOperations.Login || answer.GetProperty("ok").GetBoolean()) return;
            Assert.Equal(AgentErrors.BadRequest, Error(answer));
        });

        output.WriteLine(run.ToString());
        Assert.True((await TalkAsync("{\"op\":\"ping\"}\n"u8.ToArray())).GetProperty("ok").GetBoolean());
    }
}
