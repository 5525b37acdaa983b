using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Xunit;

namespace Vouch.Testing;

/// <summary>A person with a software security key (the same key whichever instance they talk to).</summary>
public sealed record ClusterUser(string Email)
{
    public SoftwareCredential Key { get; } = new();
}

/// <summary>An answer of the API: status, JSON body (default when empty) and <c>Retry-After</c>.</summary>
public sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body, string? RetryAfter)
{
    public bool IsServerError => (int)Status >= 500;
}

/// <summary>
/// Several instances, as docs/operations.md deploys them: one private PostgreSQL 15 cluster, three published
/// <c>vouch-server serve</c> processes on loopback ports sharing its database and key-encryption key (started at
/// once on the empty database), and Debian's nginx running <c>deploy/nginx/vouch-cluster.conf</c> in front of them
/// on <c>https://localhost:PORT</c>, the issuer of all three. The end-to-end tests start one for their cluster
/// collection; <c>bench/instances.sh</c> measures one.
/// </summary>
public sealed class VouchCluster : IAsyncLifetime
{
    public const int Instances = 3;

    private readonly TemporaryDirectory _directory = new("vouch-e2e-cluster-");
    private readonly ServerProcess?[] _servers = new ServerProcess?[Instances];
    private readonly SemaphoreSlim _pool = new(1, 1);
    private readonly List<ClusterUser> _shared = [];
    private int _people;

    public PostgresServer Postgres { get; private set; } = null!;
    public string Database { get; private set; } = null!;
    public TestPki Pki { get; private set; } = null!;
    public Nginx Nginx { get; private set; } = null!;
    public IReadOnlyList<int> Ports { get; } = [FreePort.Next(), FreePort.Next(), FreePort.Next()];
    public Dictionary<string, string?> Environment { get; private set; } = [];

    /// <summary>What every instance announces as its issuer: nginx's <c>https://localhost:PORT</c>.</summary>
    public string Issuer => Nginx.Url;

    /// <summary>A client of nginx that trusts the test PKI (30 s timeout).</summary>
    public HttpClient Edge { get; private set; } = null!;

    /// <summary>A client for talking to the instances directly, over plain http on loopback (30 s timeout).</summary>
    public HttpClient Direct { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string InstanceUrl(int instance) => $"http://127.0.0.1:{Ports[instance]}";

    public ServerProcess Instance(int instance) => _servers[instance] ?? throw new InvalidOperationException($"instance {instance} is not running");

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        Database = await Postgres.CreateDatabaseAsync();
        Environment = new Dictionary<string, string?>
        {
            ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["VOUCH_DATABASE"] = Database,
        };
        Pki = await TestPki.CreateAsync();
        Nginx = await Nginx.StartClusterAsync(Pki, Ports[0], Ports[1], Ports[2]);
        Edge = new HttpClient(Pki.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        // All three at once on the empty database: they race to migrate it and to create the first keys.
        await Task.WhenAll(Enumerable.Range(0, Instances).Select(StartInstanceAsync));
    }

    /// <summary>Starts instance <paramref name="instance"/> (again, after a kill) and waits for its /healthz.</summary>
    public async Task StartInstanceAsync(int instance)
    {
        var directory = Path.Combine(_directory.Path, $"instance{instance}");
        Directory.CreateDirectory(directory);
        // Behind nginx every client comes from 127.0.0.1: per-address limits would measure the limiter, not the cluster.
        _servers[instance] = await ServerProcess.StartAsync(directory,
            ["--attestation", "any", "--trusted-proxies", "127.0.0.1", "--ceremony-rate-limit", "100000", "--token-rate-limit", "100000"],
            Environment, address: new ServerAddress(Issuer, InstanceUrl(instance)));
    }

    /// <summary>kill -9 of instance <paramref name="instance"/>, mid-request.</summary>
    public async Task KillInstanceAsync(int instance)
    {
        var server = Instance(instance);
        server.Kill();
        await server.DisposeAsync();
        _servers[instance] = null;
    }

    /// <summary>
    /// A connection of the test's own to the cluster's database, unpooled: the tests restart PostgreSQL and kill
    /// connections, and a pooled one could be a dead one.
    /// </summary>
    public async Task<Npgsql.NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(Database) { Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs <c>vouch-server ARGUMENTS</c> on the cluster's database.</summary>
    public Task<ProcessResult> AdminAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(RepositoryPaths.ServerBinary, arguments, Environment, _directory.Path);

    public async Task<string> AdminOutputAsync(params string[] arguments) =>
        (await AdminAsync(arguments)).AssertServerCommandSucceeded(arguments).StandardOutput.Trim();

    /// <summary>Every audit record, as <c>vouch-server audit --json</c> prints them.</summary>
    public async Task<IReadOnlyList<JsonElement>> AuditAsync() =>
        (await AdminOutputAsync("audit", "--json", "--limit", "100000")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    /// <summary>The <c>jti</c> of every <c>token.issued</c> record.</summary>
    public async Task<HashSet<string>> AuditedTokensAsync() => (await AuditAsync())
        .Where(r => r.GetProperty("type").GetString() == "token.issued")
        .Select(r => r.GetProperty("data") is { ValueKind: JsonValueKind.String } data
            ? JsonDocument.Parse(data.GetString()!).RootElement.GetProperty("jti").GetString()!
            : r.GetProperty("data").GetProperty("jti").GetString()!)
        .ToHashSet();

    /// <summary><c>vouch-server audit verify</c>: the whole chain, keyed, checked from the database.</summary>
    public async Task AssertAuditChainVerifiesAsync()
    {
        var verify = await AdminAsync("audit", "verify");
        Assert.True(verify.ExitCode == 0, $"audit verify exited {verify.ExitCode}: {verify.StandardOutput}{verify.StandardError}");
    }

    /// <summary>
    /// <paramref name="count"/> enrolled people shared by the tests (each login opens its own session), enrolled four
    /// at a time on first need: every invite is an admin process, which costs a second or more on a busy machine.
    /// </summary>
    public async Task<IReadOnlyList<ClusterUser>> PeopleAsync(int count)
    {
        await _pool.WaitAsync();
        try
        {
            using var parallel = new SemaphoreSlim(4);
            var added = await Task.WhenAll(Enumerable.Range(0, Math.Max(0, count - _shared.Count)).Select(async _ =>
            {
                await parallel.WaitAsync();
                try
                {
                    return await EnrolledPersonAsync();
                }
                finally
                {
                    parallel.Release();
                }
            }));
            _shared.AddRange(added);
            return _shared.Take(count).ToList();
        }
        finally
        {
            _pool.Release();
        }
    }

    /// <summary>A new person with a fresh software key, invited and enrolled (through nginx).</summary>
    public async Task<ClusterUser> EnrolledPersonAsync()
    {
        var person = new ClusterUser($"person{Interlocked.Increment(ref _people)}@example.com");
        var answer = await EnrollAsync(person, await AdminOutputAsync("invite", "--email", person.Email), Issuer, Issuer);
        Assert.True(answer.Status == HttpStatusCode.OK, $"enrollment of {person.Email}: {(int)answer.Status} {answer.Body}");
        return person;
    }

    /// <summary>Enrolls <paramref name="person"/>: the ceremony begins at <paramref name="beginAt"/> and finishes at <paramref name="finishAt"/>.</summary>
    public async Task<ApiAnswer> EnrollAsync(ClusterUser person, string invite, string beginAt, string finishAt, CancellationToken cancellationToken = default)
    {
        var started = await PostAsync(beginAt, ApiRoutes.EnrollOptions, new { invite }, null, cancellationToken);
        if (started.Status != HttpStatusCode.OK) return started;
        var credential = person.Key.MakeCredential(started.Body.GetProperty("options"), Issuer);
        return await PostAsync(finishAt, ApiRoutes.Enroll, new { ceremony = started.Body.GetProperty("ceremony").GetString(), credential }, null, cancellationToken);
    }

    /// <summary>Logs <paramref name="person"/> in: begun at <paramref name="beginAt"/>, finished at <paramref name="finishAt"/>; the answer holds the session.</summary>
    public async Task<ApiAnswer> LoginAsync(ClusterUser person, string beginAt, string finishAt, CancellationToken cancellationToken = default)
    {
        var started = await PostAsync(beginAt, ApiRoutes.LoginOptions, new { }, null, cancellationToken);
        if (started.Status != HttpStatusCode.OK) return started;
        var assertion = person.Key.GetAssertion(started.Body.GetProperty("options"), Issuer);
        return await PostAsync(finishAt, ApiRoutes.Login, new { ceremony = started.Body.GetProperty("ceremony").GetString(), assertion }, null, cancellationToken);
    }

    /// <summary>A session for <paramref name="person"/>, logged in through nginx.</summary>
    public async Task<string> SessionAsync(ClusterUser person)
    {
        var login = await LoginAsync(person, Issuer, Issuer);
        Assert.True(login.Status == HttpStatusCode.OK, $"login of {person.Email}: {(int)login.Status} {login.Body}");
        return login.Body.GetProperty("session").GetString()!;
    }

    /// <summary>Asks <paramref name="at"/> (nginx or one instance) for an ID token with <paramref name="session"/>.</summary>
    public Task<ApiAnswer> TokenAsync(string at, string session, CancellationToken cancellationToken = default) =>
        PostAsync(at, ApiRoutes.Token, new { }, session, cancellationToken);

    public async Task<ApiAnswer> PostAsync(string at, string route, object body, string? session, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, at + route) { Content = JsonContent.Create(body) };
        if (session is not null) request.Headers.Authorization = new("Bearer", session);
        return await SendAsync(request, cancellationToken);
    }

    public async Task<ApiAnswer> GetAsync(string at, string route, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, at + route);
        return await SendAsync(request, cancellationToken);
    }

    private async Task<ApiAnswer> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var client = request.RequestUri!.Scheme == "https" ? Edge : Direct;
        using var response = await client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json"
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
        return new ApiAnswer(response.StatusCode, json, response.Headers.RetryAfter?.ToString());
    }

    /// <summary>The <c>kid</c>s of the JWKS that <paramref name="at"/> publishes, in its order.</summary>
    public async Task<IReadOnlyList<string>> PublishedKidsAsync(string at)
    {
        var jwks = await GetAsync(at, ApiRoutes.Jwks);
        Assert.Equal(HttpStatusCode.OK, jwks.Status);
        return jwks.Body.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }

    /// <summary>The JOSE header or payload (<paramref name="part"/> 0 or 1) of a compact JWT, decoded without checking it.</summary>
    public static JsonElement JwtPart(string token, int part)
    {
        var segment = token.Split('.')[part].Replace('-', '+').Replace('_', '/');
        segment = segment.PadRight(segment.Length + (4 - segment.Length % 4) % 4, '=');
        return JsonDocument.Parse(Convert.FromBase64String(segment)).RootElement.Clone();
    }

    /// <summary>p-th percentile (0-100) of <paramref name="milliseconds"/>, nearest rank.</summary>
    public static double Percentile(IReadOnlyList<double> milliseconds, double p)
    {
        if (milliseconds.Count == 0) return double.NaN;
        var sorted = milliseconds.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Runs <paramref name="step"/> until it returns true or <paramref name="limit"/> passes; returns how long it took.</summary>
    public static async Task<TimeSpan> WithinAsync(TimeSpan limit, string what, Func<Task<bool>> step)
    {
        var clock = Stopwatch.StartNew();
        while (!await step())
        {
            Assert.True(clock.Elapsed < limit, $"{what}: not within {limit.TotalSeconds} s");
            await Task.Delay(100);
        }
        return clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            if (server is not null) await server.DisposeAsync();
        }
        Edge?.Dispose();
        Direct.Dispose();
        if (Nginx is not null) await Nginx.DisposeAsync();
        Pki?.Dispose();
        if (Postgres is not null) await Postgres.DisposeAsync();
        _directory.Dispose();
        _pool.Dispose();
    }

    public static string Invariant(double value) => value.ToString("F1", CultureInfo.InvariantCulture);
}
