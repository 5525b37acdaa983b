using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vouch.Cli.Agent;
using Vouch.Cli.Aws;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.Cli.Tests.Fuzz;

/// <summary>
/// Generated hostile input for what the CLI parses: <c>~/.aws/config</c>, the agent's requests and answers, and the
/// server's responses. Each ends in a value or a clean <see cref="CliException"/> (or a refusal answer), never
/// another exception or a hang. Seeds are fixed (see <see cref="Vouch.Testing.Fuzz"/>).
/// </summary>
public sealed class ParserFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestAgent _agent = new("vouch-fuzz-");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    private CliPaths Paths => _agent.Paths;

    private static Gen<string> AnyString() => ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "");

    private static Gen<string> Words() => Gen.OneOf(
        Gen.Elements("default", "vouch", "dev", "'a b'", "\"q\"", "", " ", "=", "[", "]", "profile", "sso-session x", "\t", "\u00e9", "\ud800",
            "credential_process", "region", "role_arn", "duration_seconds", "vouch", "/usr/bin/vouch", "credential", "aws", "--role",
            "arn:aws:iam::123456789012:role/Dev", "--region", "eu-west-1", "--duration", "-1", "99999999999999999999", "--format",
            "aws-credential-process", "'", "\"", "\\", "#", ";", "%(x)s"),
        AnyString());

    private static Gen<string> ConfigLines() => Gen.OneOf(
        Words().Select(w => $"[{w}]"),
        Words().Select(w => $"[profile {w}]"),
        Gen.Zip(Words(), Gen.ListOf(Words())).Select(p => $"{p.Item1} = {string.Join(' ', p.Item2)}"),
        Gen.ListOf(Words()).Select(w => "credential_process = vouch credential aws " + string.Join(' ', w)),
        Gen.Zip(Gen.Elements("  ", "\t", "    "), Words()).Select(p => p.Item1 + p.Item2 + (p.Item2.Contains('=') ? "" : " = x")),
        Gen.Elements("", "# comment", "; comment", "   ", "\r", "key =", "= value", "[", "]", "[]", "[ ]"),
        AnyString());

    [Fact]
    public async Task The_aws_config_reader_parses_or_refuses_any_text_cleanly()
    {
        // Mostly after a header, so that most texts get past the first line.
        var texts =
            from start in Gen.Elements("", "[default]", "[profile vouch]")
            from lines in Gen.ListOf(ConfigLines())
            from newline in Gen.Elements("\n", "\r\n")
            select string.Join(newline, start.Length == 0 ? lines : [start, .. lines]);
        var parsed = 0;
        var run = await Vouch.Testing.Fuzz.CheckEachAsync("aws config text", seed: 20261211, count: 500, texts, text =>
        {
            AwsConfigFile file;
            try
            {
                file = AwsConfigFile.Parse(text, "/fuzz/config");
            }
            catch (CliException e)
            {
                Assert.Equal(ExitCodes.BadConfiguration, e.ExitCode);
                return;
            }
            var lines = text.Split('\n').Length - (text.EndsWith('\n') ? 1 : 0);
            Assert.Equal(lines, file.Lines.Count);
            foreach (var profile in VouchProfile.All(file)) Assert.NotNull(profile.Program);
            parsed++;
        }, text => JsonSerializer.Serialize(text));

        output.WriteLine($"{run}; {parsed} parsed, the others refused");
    }

    private static Gen<byte[]> AgentLines() => Gen.Frequency(
        (4, Json(4).Select(j => Encoding.UTF8.GetBytes((j?.ToJsonString() ?? "null") + "\n"))),
        (1, ArbMap.Default.GeneratorFor<byte[]>()),
        (1, Gen.ArrayOf(Gen.Elements<byte>(0x80, 0xC3, 0xFF, (byte)'{', (byte)'"', (byte)'o', (byte)'p', (byte)':', (byte)'\n'))),
        (1, Gen.Choose(1, 80_000).Select(n => Encoding.ASCII.GetBytes("{\"op\":\"" + new string('a', n) + "\"}\n"))),
        (1, Gen.Choose(1, 3000).Select(n => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("[", n)) + "\n"))));

    private static readonly string[] AgentFields =
        ["op", "server", "session", "email", "expires_at", "audience", "role", "duration", "region", "sts_endpoint",
         "ok", "error", "message", "id_token", "token_expires_at", "credentials", "AccessKeyId", "Expiration", "Version"];

    /// <summary>Random JSON keyed mostly by the agent protocol's and the server's field names.</summary>
    private static Gen<JsonNode?> Json(int depth)
    {
        var leaf = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            ArbMap.Default.GeneratorFor<bool>().Select(b => (JsonNode?)JsonValue.Create(b)),
            ArbMap.Default.GeneratorFor<long>().Select(i => (JsonNode?)JsonValue.Create(i)),
            Gen.Elements("1e999", "-0", "99999999999999999999999999").Select(n => JsonNode.Parse(n)),
            Gen.OneOf(AnyString(), Gen.Elements(AgentOperations.Status, AgentOperations.Login, AgentOperations.Token, AgentOperations.Aws,
                "2026-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "not a date", "http://127.0.0.1:1", ""))
                .Select(s => (JsonNode?)JsonValue.Create(s)));
        if (depth == 0) return leaf;
        var child = Json(depth - 1);
        var key = Gen.OneOf(Gen.Elements(AgentFields), AnyString());
        var obj = Gen.Choose(0, 8).SelectMany(n => Gen.ListOf(Gen.Zip(key, child), n)).Select(pairs =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in pairs) o[k] = v?.DeepClone();
            return (JsonNode?)o;
        });
        var array = Gen.Choose(0, 4).SelectMany(n => Gen.ListOf(child, n)).Select(items => (JsonNode?)new JsonArray(items.Select(i => i?.DeepClone()).ToArray()));
        return Gen.Frequency((1, leaf), (4, obj), (1, array));
    }

    [Fact]
    public async Task The_agent_answers_any_bytes_on_its_socket_without_failing_and_keeps_serving()
    {
        var log = new StringWriter();
        await _agent.ListenAsync((request, _) => Task.FromResult(new AgentResponse { Ok = true, Message = request.Op }), TextWriter.Synchronized(log));

        var run = await Vouch.Testing.Fuzz.CheckAsync("agent requests", seed: 20261212, count: 300, AgentLines(), async bytes =>
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Paths.AgentSocket));
            try
            {
                await socket.SendAsync(bytes);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The agent stopped reading a request over its limit and answered already: read that answer.
            }
            var received = new List<byte>();
            var buffer = new byte[4096];
            int read;
            try
            {
                while ((read = await socket.ReceiveAsync(buffer)) > 0) received.AddRange(buffer.AsSpan(0, read));
            }
            catch (SocketException) when (bytes.Length > 64 * 1024)
            {
                // Over the agent's 64 KiB limit: it answers and closes with the rest unread, which may reset the
                // connection before the answer is read. The agent serving on is what counts (checked below).
                return;
            }
            var line = Encoding.UTF8.GetString([.. received]).TrimEnd('\n');

            Assert.DoesNotContain('\n', line);
            var answer = JsonSerializer.Deserialize(line, CliJsonContext.Default.AgentResponse)!;
            Assert.True(answer.Ok || answer.Error == AgentErrors.BadRequest, $"answered {line}");
        }, bytes => Convert.ToBase64String(bytes.Length > 1500 ? bytes[..1500] : bytes) + $" ({bytes.Length} bytes)");
        var after = await AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Status });
        await _agent.StopAsync();

        output.WriteLine(run.ToString());
        Assert.True(after is { Ok: true }, "the agent stopped serving");
        Assert.DoesNotContain("a request failed", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_client_takes_any_answer_as_a_response_or_an_agent_failure()
    {
        // The agent directory must be privately ours (0700), or the client refuses it before connecting.
        Directory.CreateDirectory(Path.GetDirectoryName(Paths.AgentSocket)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Paths.AgentSocket));
        listener.Listen(4);

        var run = await Vouch.Testing.Fuzz.CheckAsync("agent answers", seed: 20261213, count: 300, AgentLines(), async answer =>
        {
            var serving = Task.Run(async () =>
            {
                using var connection = await listener.AcceptAsync();
                var buffer = new byte[70_000];
                await connection.ReceiveAsync(buffer);
                try
                {
                    await connection.SendAsync(answer);
                }
                catch (SocketException)
                {
                    // The client stopped reading: it has what it needs.
                }
            });
            try
            {
                var response = await AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Token });
                Assert.NotNull(response);
            }
            catch (CliException e)
            {
                Assert.Equal(ExitCodes.AgentFailed, e.ExitCode);
            }
            await serving;
        }, bytes => Convert.ToBase64String(bytes.Length > 1500 ? bytes[..1500] : bytes) + $" ({bytes.Length} bytes)");

        output.WriteLine(run.ToString());
    }

    /// <summary>An answer from a stand-in server: status, content type and body.</summary>
    public sealed record ServerAnswer(int Status, string? ContentType, byte[] Body)
    {
        public override string ToString() => $"{Status} {ContentType}: {Encoding.UTF8.GetString(Body)}";
    }

    [Fact]
    public async Task The_server_client_turns_any_server_answer_into_a_value_or_a_cli_error()
    {
        ServerAnswer next = new(200, null, []);
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.Run(async context =>
        {
            var answer = Volatile.Read(ref next);
            context.Response.StatusCode = answer.Status;
            if (answer.ContentType is not null) context.Response.ContentType = answer.ContentType;
            if (answer.Status is not (204 or 304)) await context.Response.Body.WriteAsync(answer.Body);
        });
        await app.StartAsync();
        using var connections = new ServerConnections(TimeProvider.System);
        var client = new VouchServerClient(connections, url);

        var answers =
            from status in Gen.Elements(200, 200, 200, 201, 204, 400, 401, 403, 404, 413, 429, 500, 502, 503)
            from contentType in Gen.Elements<string?>("application/json", "application/json; charset=utf-8", "application/json; charset=nonsense", "text/html", null)
            from body in Gen.Frequency(
                (5, Json(3).Select(j => Encoding.UTF8.GetBytes(j?.ToJsonString() ?? "null"))),
                (1, ArbMap.Default.GeneratorFor<byte[]>()),
                (1, Gen.Elements("", "<html>502 Bad Gateway</html>", "{\"error\":\"session_expired\"}", "{\"error\":null}", "{\"id_token\":1}",
                    "{\"email\":\"a\",\"expires_at\":\"garbage\"}", "{\"error\":\"server_error\",\"error_description\":7}").Select(Encoding.UTF8.GetBytes)))
            from call in Gen.Elements("token", "session", "logout", "login")
            select (Answer: new ServerAnswer(status, contentType, body), Call: call);

        var run = await Vouch.Testing.Fuzz.CheckAsync("server answers", seed: 20261214, count: 400, answers, async c =>
        {
            Volatile.Write(ref next, c.Answer);
            try
            {
                object? value = c.Call switch
                {
                    "token" => await client.PostAsync(ApiRoutes.Token, new TokenRequest(null), ProtocolJsonContext.Default.TokenRequest,
                        ProtocolJsonContext.Default.TokenResponse, "vs_fuzz", CancellationToken.None),
                    "session" => await client.GetSessionAsync("vs_fuzz", CancellationToken.None),
                    "login" => await client.PostAsync(ApiRoutes.Login, new LoginRequest("c", JsonDocument.Parse("{}").RootElement), ProtocolJsonContext.Default.LoginRequest,
                        ProtocolJsonContext.Default.LoginResponse, null, CancellationToken.None),
                    _ => await LogoutAsync(),
                };
                Assert.NotNull(value);
            }
            catch (CliException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
        }, c => $"{c.Call} <- {c.Answer}");

        output.WriteLine(run.ToString());
        await app.StopAsync();

        async Task<object> LogoutAsync()
        {
            await client.LogoutAsync("vs_fuzz", CancellationToken.None);
            return "logged out";
        }
    }
}
