using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// kill -9 of the published server, again and again, while people enroll, log in and ask for tokens: afterwards the
/// database opens, the audit chain verifies, every token a client received has its audit record, and no person is
/// left half-enrolled (an invite used up without a key, or a user without a key).
/// </summary>
public abstract class CrashSafetyTests : IAsyncLifetime
{
    private const int Users = 10;
    private const int EnrolledBeforehand = 4;
    private const int Crashes = 5;

    private readonly TemporaryDirectory _directory = new("vouch-e2e-crash-");
    private readonly int _port = FreePort.Next();
    private Dictionary<string, string?> _environment = [];
    private ServerProcess? _server;

    private string Issuer => $"http://127.0.0.1:{_port}";

    protected abstract Task<string> DatabaseAsync(string directory);

    public async Task InitializeAsync() => _environment = new Dictionary<string, string?>
    {
        ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["VOUCH_DATABASE"] = await DatabaseAsync(_directory.Path),
    };

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Killing_the_server_during_logins_enrollments_and_token_requests_loses_nothing_and_half_writes_nothing()
    {
        await StartServerAsync();
        var people = new List<Person>();
        for (var i = 0; i < Users; i++) people.Add(new Person($"user{i}@example.com", await AdminOutputAsync("invite", "--email", $"user{i}@example.com")));
        foreach (var person in people.Take(EnrolledBeforehand)) Assert.Equal(HttpStatusCode.OK, await EnrollAsync(person));
        var received = new ConcurrentBag<string>();
        var serverErrors = new ConcurrentBag<string>();

        for (var crash = 0; crash < Crashes; crash++)
        {
            if (crash > 0) await StartServerAsync();
            using var load = new CancellationTokenSource();
            var newcomer = people[EnrolledBeforehand + crash];
            var workers = people.Take(EnrolledBeforehand).Select(p => WorkAsync(p, received, serverErrors, load.Token))
                .Append(EnrollUntilStoppedAsync(newcomer, serverErrors, load.Token)).ToList();
            await Task.Delay(TimeSpan.FromMilliseconds(700 + Random.Shared.Next(1300)));
            _server!.Kill();
            await load.CancelAsync();
            await Task.WhenAll(workers);
            await _server.DisposeAsync();
            _server = null;
        }

        await StartServerAsync();
        var verify = await AdminAsync("audit", "verify");
        var audit = await AdminOutputAsync("audit", "--json");
        var users = (await AdminOutputAsync("users", "list", "--json")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();

        Assert.Empty(serverErrors);
        Assert.True(verify.ExitCode == 0, verify.StandardError + verify.StandardOutput);
        Assert.NotEmpty(received);
        var audited = audit.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(r => r.GetProperty("type").GetString() == "token.issued")
            .Select(r => r.GetProperty("data") is { ValueKind: JsonValueKind.String } data
                ? JsonDocument.Parse(data.GetString()!).RootElement.GetProperty("jti").GetString()
                : r.GetProperty("data").GetProperty("jti").GetString())
            .ToHashSet();
        Assert.All(received, jti => Assert.Contains(jti, audited));
        // Every user the database knows has a key that can log in: an enrollment is all or nothing.
        Assert.All(users, u => Assert.True(u.GetProperty("keys").GetInt32() > 0, u.ToString()));
        foreach (var person in people.Skip(EnrolledBeforehand).Take(Crashes))
        {
            var known = users.Any(u => u.GetProperty("email").GetString() == person.Email);
            // Enrolled before a crash, or not at all: then its invite must still be usable.
            Assert.Equal(known ? HttpStatusCode.BadRequest : HttpStatusCode.OK, await EnrollAsync(person));
        }
    }

    private async Task WorkAsync(Person person, ConcurrentBag<string> received, ConcurrentBag<string> serverErrors, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var session = await LoginAsync(person, serverErrors, stop);
                for (var i = 0; session is not null && i < 5 && !stop.IsCancellationRequested; i++)
                {
                    var (status, body) = await PostAsync(ApiRoutes.Token, new { }, session, stop);
                    if (status == HttpStatusCode.OK) received.Add(body.GetProperty("jti").GetString()!);
                    else Record(serverErrors, "token", status, body);
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or IOException)
            {
                // The server died under this request: the client sees a broken connection, never a partial answer.
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    private async Task EnrollUntilStoppedAsync(Person person, ConcurrentBag<string> serverErrors, CancellationToken stop)
    {
        try
        {
            var status = await EnrollAsync(person, stop);
            if (status != HttpStatusCode.OK) serverErrors.Add($"enroll {person.Email}: {(int)status}");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or IOException)
        {
            // Killed mid-enrollment: checked at the end.
        }
    }

    private async Task<string?> LoginAsync(Person person, ConcurrentBag<string> serverErrors, CancellationToken stop)
    {
        var (status, started) = await PostAsync(ApiRoutes.LoginOptions, new { }, null, stop);
        if (status != HttpStatusCode.OK)
        {
            Record(serverErrors, "login options", status, started);
            return null;
        }
        var assertion = person.Key.GetAssertion(started.GetProperty("options"), Issuer);
        var (finished, body) = await PostAsync(ApiRoutes.Login, new { ceremony = started.GetProperty("ceremony").GetString(), assertion }, null, stop);
        if (finished == HttpStatusCode.OK) return body.GetProperty("session").GetString();
        Record(serverErrors, "login", finished, body);
        return null;
    }

    private async Task<HttpStatusCode> EnrollAsync(Person person, CancellationToken stop = default)
    {
        var (status, started) = await PostAsync(ApiRoutes.EnrollOptions, new { invite = person.Invite }, null, stop);
        if (status != HttpStatusCode.OK) return status;
        var credential = person.Key.MakeCredential(started.GetProperty("options"), Issuer);
        var (finished, _) = await PostAsync(ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential }, null, stop);
        return finished;
    }

    /// <summary>Only a 5xx is the server's fault; 429 and refusals are answers.</summary>
    private static void Record(ConcurrentBag<string> serverErrors, string step, HttpStatusCode status, JsonElement body)
    {
        if ((int)status >= 500) serverErrors.Add($"{step}: {(int)status} {body}");
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string route, object body, string? session, CancellationToken stop)
    {
        using var client = new HttpClient { BaseAddress = new Uri(Issuer + "/"), Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, route.TrimStart('/')) { Content = JsonContent.Create(body) };
        if (session is not null) request.Headers.Authorization = new("Bearer", session);
        using var response = await client.SendAsync(request, stop);
        var text = await response.Content.ReadAsStringAsync(stop);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task StartServerAsync() =>
        // Ceremonies from one address would hit the per-client limit long before the load is interesting.
        _server = await ServerProcess.StartAsync(_directory.Path, ["--attestation", "any", "--ceremony-rate-limit", "100000"], _environment, port: _port);

    private Task<ProcessResult> AdminAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(RepositoryPaths.ServerBinary, arguments, _environment, _directory.Path);

    private async Task<string> AdminOutputAsync(params string[] arguments) =>
        (await AdminAsync(arguments)).AssertServerCommandSucceeded(arguments).StandardOutput.Trim();

    private sealed record Person(string Email, string Invite)
    {
        public SoftwareCredential Key { get; } = new();
    }
}

public sealed class SqliteCrashSafetyTests : CrashSafetyTests
{
    protected override Task<string> DatabaseAsync(string directory) => Task.FromResult(Path.Combine(directory, "vouch.db"));
}

[Collection(PostgresTests.Name)]
public sealed class PostgresCrashSafetyTests(PostgresFixture postgres) : CrashSafetyTests
{
    protected override Task<string> DatabaseAsync(string directory) => postgres.Server.CreateDatabaseAsync();
}

/// <summary>The agent killed while it answers: the waiting command says so at once and never hangs.</summary>
public sealed class AgentCrashTests : IAsyncLifetime
{
    private readonly CliSandbox _user = new();
    private VouchWorld? _world;

    public async Task InitializeAsync() => _world = await VouchWorld.StartAsync();

    public async Task DisposeAsync()
    {
        _user.Dispose();
        if (_world is not null)
        {
            ProcessRunner.Signal(_world.Server.Pid, "CONT");
            await _world.DisposeAsync();
        }
    }

    [Fact]
    public async Task Killing_the_agent_mid_request_makes_the_command_fail_with_a_clear_message()
    {
        await _world!.EnrollAndLoginAsync(_user, "alice@example.com");
        var agentPid = int.Parse(File.ReadAllText(_user.AgentSocket + ".pid").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // A server that stops answering holds the agent inside the request.
        ProcessRunner.Signal(_world.Server.Pid, "STOP");
        var clock = Stopwatch.StartNew();
        var token = _user.RunAsync("credential", "token");
        await Task.Delay(1000);

        ProcessRunner.Signal(agentPid, "KILL");
        var result = await token;

        Assert.Equal(9, result.ExitCode);
        Assert.Contains("did not answer: it closed the connection without answering", result.StandardError, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }
}
