using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// The deployment of docs/deploy.md on one machine: a throwaway PKI, nginx running <c>deploy/nginx/vouch.conf</c> on
/// <c>https://localhost:PORT</c>, and the published server behind it on a loopback backend port with that URL as its
/// issuer, trusting nginx's forwarded headers (<c>--trusted-proxies 127.0.0.1</c>) and allowing few ceremonies a minute.
/// Alice is enrolled and logged in through nginx by the CLI, which trusts the PKI's root as a user's machine would.
/// </summary>
public sealed class ProxiedVouch : IAsyncLifetime
{
    /// <summary>Ceremony requests allowed per client address and minute: low, so that a flood is quick to show.</summary>
    public const int CeremoniesPerMinute = 5;

    public const string AliceEmail = "alice@example.com";

    public TestPki Pki { get; private set; } = null!;
    public Nginx Nginx { get; private set; } = null!;
    public VouchWorld World { get; private set; } = null!;
    public int BackendPort { get; } = FreePort.Next();
    public CliSandbox Alice { get; } = new();

    /// <summary>The invite Alice enrolled with (piped on the CLI's standard input), to look for in nginx's logs.</summary>
    public string AliceInvite { get; private set; } = "";

    /// <summary>The public URL, which is also the issuer: <c>https://localhost:PORT</c>.</summary>
    public string Url => Nginx.Url;

    public async Task InitializeAsync()
    {
        Pki = await TestPki.CreateAsync();
        Nginx = await Nginx.StartAsync(Pki, BackendPort);
        World = await VouchWorld.StartAsync(
            serveArguments: ["--attestation", "any", "--trusted-proxies", "127.0.0.1",
                             "--ceremony-rate-limit", CeremoniesPerMinute.ToString(CultureInfo.InvariantCulture)],
            address: new ServerAddress(Nginx.Url, $"http://127.0.0.1:{BackendPort}"));
        AliceInvite = await World.InviteAsync(AliceEmail);
        var enroll = await RunCliWithInputAsync(Alice, AliceInvite + "\n", "enroll", "--server", Url);
        Assert.True(enroll.ExitCode == 0, $"vouch enroll through nginx exited {enroll.ExitCode}: {enroll.StandardError}");
        var login = await RunCliAsync(Alice, "login");
        Assert.True(login.ExitCode == 0, $"vouch login through nginx exited {login.ExitCode}: {login.StandardError}");
    }

    /// <summary>Runs <c>vouch</c> as <paramref name="user"/> on a machine that trusts the PKI's root (<c>SSL_CERT_FILE</c>).</summary>
    public Task<ProcessResult> RunCliAsync(CliSandbox user, params string[] arguments) => RunCliWithInputAsync(user, "", arguments);

    /// <summary>As <see cref="RunCliAsync(CliSandbox, string[])"/>, with <paramref name="input"/> on its standard input.</summary>
    public Task<ProcessResult> RunCliWithInputAsync(CliSandbox user, string input, params string[] arguments)
    {
        var environment = user.Environment();
        foreach (var (name, value) in Pki.ClientEnvironment) environment[name] = value;
        return ProcessRunner.RunAsync(CliSandbox.Binary, arguments, environment, user.Home, TimeSpan.FromSeconds(60), standardInput: input);
    }

    /// <summary>curl, trusting the PKI's root, connecting from <paramref name="from"/>; returns the HTTP status it printed.</summary>
    public async Task<int> CurlAsync(string from, string url, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("curl",
            ["--silent", "--show-error", "--interface", from, "--cacert", Pki.CaFile, "--output", "/dev/null", "--write-out", "%{http_code}", .. arguments, url],
            timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"curl --interface {from} {url} exited {result.ExitCode}: {result.StandardError}");
        return int.Parse(result.StandardOutput, CultureInfo.InvariantCulture);
    }

    /// <summary>Every audit record, as <c>vouch-server audit --json</c> prints them.</summary>
    public async Task<IReadOnlyList<JsonElement>> AuditAsync()
    {
        var audit = await World.AdminAsync("audit", "--json");
        Assert.True(audit.ExitCode == 0, audit.StandardError);
        return audit.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    public async Task DisposeAsync()
    {
        Alice.Dispose();
        if (World is not null) await World.DisposeAsync();
        if (Nginx is not null) await Nginx.DisposeAsync();
        Pki?.Dispose();
    }
}

/// <summary>
/// Vouch behind the tested nginx config: the CLI, jose and openid-client over https, the audit log and the rate
/// limits seeing each real client address, and forged forwarding headers ignored. Each test speaks from its own
/// loopback addresses, so that the per-address ceremony limit of one test cannot touch another.
/// </summary>
public sealed class ProxyEndToEndTests(ProxiedVouch vouch) : IClassFixture<ProxiedVouch>
{
    [Fact]
    public async Task Through_nginx_the_cli_gets_a_token_that_jose_verifies_against_the_https_jwks()
    {
        var token = await vouch.RunCliAsync(vouch.Alice, "credential", "token");

        Assert.True(token.ExitCode == 0, token.StandardError);
        var audience = vouch.Url["https://".Length..];
        var verdict = await NodePeers.VerifyJwtAsync(token.StandardOutput.Trim(), vouch.Url + ApiRoutes.Jwks, vouch.Url, audience,
            vouch.Pki.ClientEnvironment);
        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        Assert.Equal(ProxiedVouch.AliceEmail, verdict.GetProperty("payload").GetProperty("sub").GetString());
        Assert.Equal(vouch.Url, verdict.GetProperty("payload").GetProperty("iss").GetString());
    }

    [Fact]
    public async Task Openid_client_discovers_the_issuer_over_https_through_nginx()
    {
        var discovery = await NodePeers.DiscoverAsync(vouch.Url, vouch.Pki.ClientEnvironment);

        Assert.True(discovery.GetProperty("ok").GetBoolean(), discovery.ToString());
        var metadata = discovery.GetProperty("metadata");
        Assert.Equal(vouch.Url, metadata.GetProperty("issuer").GetString());
        Assert.Equal(vouch.Url + ApiRoutes.Jwks, metadata.GetProperty("jwks_uri").GetString());
    }

    [Fact]
    public async Task A_cli_that_does_not_trust_the_certificate_refuses_to_enroll()
    {
        using var stranger = new CliSandbox();

        // No SSL_CERT_FILE: the machine trusts only the public roots, and the test root is not one of them.
        var enroll = await stranger.RunAsync("enroll", "--server", vouch.Url, "--invite", await vouch.World.InviteAsync("mallory@example.com"));

        Assert.NotEqual(0, enroll.ExitCode);
        Assert.DoesNotContain(await vouch.AuditAsync(), r => r.GetProperty("actor").GetString() == "user:mallory@example.com"
                                                             && r.GetProperty("type").GetString() == "enrollment.succeeded");
    }

    [Fact]
    public async Task Requests_through_nginx_are_audited_with_each_real_client_address()
    {
        foreach (var from in new[] { "127.0.0.2", "127.0.0.3" })
        {
            var status = await vouch.CurlAsync(from, vouch.Url + ApiRoutes.EnrollOptions,
                "--header", "Content-Type: application/json", "--data", """{"invite":"not-an-invite"}""");
            Assert.Equal(400, status);
        }
        // A client's own X-Forwarded-For is replaced by nginx, never believed.
        await vouch.CurlAsync("127.0.0.2", vouch.Url + ApiRoutes.EnrollOptions, "--header", "X-Forwarded-For: 203.0.113.9",
            "--header", "Content-Type: application/json", "--data", """{"invite":"not-an-invite"}""");

        var failures = (await vouch.AuditAsync()).Where(r => r.GetProperty("type").GetString() == "enrollment.failed")
            .Select(r => r.GetProperty("client_address").GetString()).ToList();
        Assert.Equal(2, failures.Count(a => a == "127.0.0.2"));
        Assert.Single(failures, a => a == "127.0.0.3");
        Assert.DoesNotContain("203.0.113.9", failures);
        Assert.DoesNotContain("127.0.0.1", failures);
    }

    [Fact]
    public async Task A_forged_forwarded_for_sent_straight_to_the_backend_is_ignored()
    {
        // 127.0.0.4 is not a trusted proxy, so its X-Forwarded-For is only a claim.
        var status = await vouch.CurlAsync("127.0.0.4", $"http://127.0.0.1:{vouch.BackendPort}{ApiRoutes.EnrollOptions}",
            "--header", "X-Forwarded-For: 203.0.113.10", "--header", "X-Forwarded-Proto: https",
            "--header", "Content-Type: application/json", "--data", """{"invite":"not-an-invite"}""");

        Assert.Equal(400, status);
        var addresses = (await vouch.AuditAsync()).Select(r => r.GetProperty("client_address").GetString()).ToList();
        Assert.Contains("127.0.0.4", addresses);
        Assert.DoesNotContain("203.0.113.10", addresses);
    }

    [Fact]
    public async Task No_invite_code_reaches_the_access_log_not_even_from_an_old_query_link()
    {
        var pending = await vouch.World.InviteAsync("olga@example.com");

        // Old links, on https and on plain http: moved to the fragment (by the server; by nginx to https first).
        Assert.Equal(302, await vouch.CurlAsync("127.0.0.8", $"{vouch.Url}/enroll?code={pending}"));
        Assert.Equal(302, await vouch.CurlAsync("127.0.0.8", $"{vouch.Url}/enroll?lang=en&code={vouch.AliceInvite}"));
        Assert.Equal(301, await vouch.CurlAsync("127.0.0.8", $"http://localhost:{vouch.Nginx.HttpPort}/enroll?code={pending}"));

        var log = vouch.Nginx.AccessLog;
        Assert.Contains("\"GET /enroll HTTP/", log, StringComparison.Ordinal); // logged, without the query
        Assert.Contains("\"POST /api/v1/enroll HTTP/", log, StringComparison.Ordinal); // Alice's enroll, code piped
        Assert.DoesNotContain(pending, log, StringComparison.Ordinal);
        Assert.DoesNotContain(vouch.AliceInvite, log, StringComparison.Ordinal);
        Assert.DoesNotContain(pending, vouch.Nginx.ErrorLog, StringComparison.Ordinal);
        Assert.DoesNotContain("code=", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flood_of_ceremonies_from_one_address_is_refused_while_another_address_logs_in()
    {
        using var flooder = vouch.Pki.CreateHttpClient(IPAddress.Parse("127.0.0.5"));
        using var neighbour = vouch.Pki.CreateHttpClient(IPAddress.Parse("127.0.0.6"));

        // More than twice the limit: even when a one-minute window ends during the flood, one of the two overflows.
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 2 * ProxiedVouch.CeremoniesPerMinute + 2; i++)
            answers.Add(await flooder.PostAsJsonAsync(vouch.Url + ApiRoutes.EnrollOptions, new { invite = "not-an-invite" }));
        var session = await LoginAsync(neighbour);

        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(refused.Count > 0, "statuses: " + string.Join(' ', answers.Select(a => (int)a.StatusCode)));
        Assert.All(refused, a => Assert.True(a.Headers.RetryAfter is not null, "429 without Retry-After"));
        var body = await refused[0].Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rate_limited", body.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(session));
        Assert.Contains(await vouch.AuditAsync(), r => r.GetProperty("type").GetString() == "login.succeeded"
                                                      && r.GetProperty("client_address").GetString() == "127.0.0.6");
        answers.ForEach(a => a.Dispose());
    }

    [Fact]
    public async Task A_flood_of_garbage_bearers_does_not_stop_a_real_session_from_getting_tokens()
    {
        using var client = vouch.Pki.CreateHttpClient(IPAddress.Parse("127.0.0.7"));
        var session = await LoginAsync(client);

        // More garbage than a session may spend in a minute (300 by default), from the same address.
        var statuses = new List<HttpStatusCode>();
        for (var batch = 0; batch < 40; batch++)
        {
            statuses.AddRange(await Task.WhenAll(Enumerable.Range(0, 8).Select(i => TokenStatusAsync(client, $"vs_garbage{batch:D2}{i}{new string('x', 32)}"))));
        }
        using var real = await PostTokenAsync(client, session);

        Assert.True(real.IsSuccessStatusCode,
            $"{(int)real.StatusCode} {await real.Content.ReadAsStringAsync()}; garbage answers: {string.Join(", ", statuses.CountBy(s => (int)s))}");
        var token = await real.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("eyJ", token.GetProperty("id_token").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(HttpStatusCode.OK, statuses);
    }

    [Fact]
    public async Task Nginx_sends_hsts_redirects_plain_http_and_stops_large_bodies()
    {
        using var client = vouch.Pki.CreateHttpClient();
        using var plain = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        using var health = await client.GetAsync(vouch.Url + ApiRoutes.Health);
        using var redirect = await plain.GetAsync($"http://127.0.0.1:{vouch.Nginx.HttpPort}{ApiRoutes.Discovery}");
        using var large = await client.PostAsync(vouch.Url + ApiRoutes.Token, new ByteArrayContent(new byte[100 * 1024]));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(health.Headers.TryGetValues("Strict-Transport-Security", out var hsts), "no Strict-Transport-Security header");
        Assert.StartsWith("max-age=", hsts.Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal("https://127.0.0.1" + ApiRoutes.Discovery, redirect.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
    }

    /// <summary>Alice logs in over <paramref name="client"/> with her software key (the file the CLI enrolled); returns the session.</summary>
    private async Task<string> LoginAsync(HttpClient client)
    {
        using var started = await client.PostAsJsonAsync(vouch.Url + ApiRoutes.LoginOptions, new { });
        var options = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(started.IsSuccessStatusCode, options.ToString());
        var assertion = new SoftwareAuthenticator(vouch.Alice.SoftwareKey).GetAssertion(options.GetProperty("options"), vouch.Url);
        using var finished = await client.PostAsJsonAsync(vouch.Url + ApiRoutes.Login,
            new { ceremony = options.GetProperty("ceremony").GetString(), assertion });
        var login = await finished.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(finished.IsSuccessStatusCode, login.ToString());
        return login.GetProperty("session").GetString()!;
    }

    private async Task<HttpStatusCode> TokenStatusAsync(HttpClient client, string bearer)
    {
        using var response = await PostTokenAsync(client, bearer);
        return response.StatusCode;
    }

    private Task<HttpResponseMessage> PostTokenAsync(HttpClient client, string bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, vouch.Url + ApiRoutes.Token) { Content = JsonContent.Create(new { }) };
        request.Headers.Authorization = new("Bearer", bearer);
        return client.SendAsync(request);
    }
}
