using System.Collections;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using Vouch.Server.Admin;
using Vouch.Server.Aws;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Aws;

/// <summary>
/// <c>vouch-server doctor</c>: broken issuers (a stand-in) are each reported with the right line, and the real
/// server on https with a complete chain passes. <c>vouch.example.com:443</c> is routed to a loopback port and only
/// the test root is trusted, so the doctor sees what AWS would.
/// </summary>
public sealed class DoctorTests : IDisposable
{
    private const string Issuer = "https://" + TestChain.Host;
    private readonly TestChain _chain = TestChain.Create();

    public void Dispose() => _chain.Dispose();

    private IssuerDoctor Doctor(IssuerStandIn standIn, int port = 443, TimeProvider? time = null) => Doctor(standIn.Route(TestChain.Host, port), time);

    private IssuerDoctor Doctor(KeyValuePair<string, IPEndPoint> route, TimeProvider? time = null) =>
        new(time ?? TimeProvider.System, new IssuerNetwork { TrustRoot = _chain.Root, Resolve = new Dictionary<string, IPEndPoint>([route]) });

    private static void AssertFails(IReadOnlyList<DoctorFinding> findings, string check, string words)
    {
        var all = string.Join('\n', findings);
        Assert.True(findings.Any(f => f.Verdict == DoctorVerdict.Failed && f.Check == check && f.Message.Contains(words, StringComparison.Ordinal)), all);
    }

    [Fact]
    public async Task A_good_issuer_served_by_the_real_server_passes_every_check()
    {
        using var directory = new TemporaryDirectory();
        var (certificate, key) = _chain.WritePem(directory.Path);
        var port = FreePort.Next();
        await using var server = await InProcessServer.StartAsync(configure: s => s with
        {
            Listen = $"https://127.0.0.1:{port}",
            Tls = new TlsFiles(certificate, key),
            Oidc = s.Oidc with { Issuer = Issuer, Audience = TestChain.Host },
        });
        var token = server.Get<IdTokenService>().Issue(new IdTokenRequest { Email = "alice@example.com" }).Value!;
        var evidence = new ServerEvidence { Audience = TestChain.Host, CurrentKid = token.Kid, Token = token.Token };

        var findings = await Doctor(new KeyValuePair<string, IPEndPoint>($"{TestChain.Host}:443", new IPEndPoint(IPAddress.Loopback, port)))
            .CheckAsync(Issuer, evidence, CancellationToken.None);

        Assert.True(findings.All(f => f.Verdict == DoctorVerdict.Ok), string.Join('\n', findings));
        Assert.Equal(["issuer", "tls", "discovery", "clock", "issuer", "jwks", "signing key", "token"], findings.Select(f => f.Check));
    }

    [Fact]
    public async Task A_discovery_document_naming_another_issuer_is_reported()
    {
        await using var standIn = await IssuerStandIn.StartAsync(
            IssuerStandIn.Discovery("https://other.example.com", Issuer + "/.well-known/jwks.json"), IssuerStandIn.Jwks(), _chain);

        var findings = await Doctor(standIn).CheckAsync(Issuer, null, CancellationToken.None);

        AssertFails(findings, "issuer", "names issuer 'https://other.example.com', not 'https://vouch.example.com'");
    }

    [Fact]
    public async Task An_unreachable_jwks_is_reported()
    {
        var closed = $"https://127.0.0.1:{FreePort.Next()}/.well-known/jwks.json";
        await using var standIn = await IssuerStandIn.StartAsync(IssuerStandIn.Discovery(Issuer, closed), IssuerStandIn.Jwks(), _chain);

        var findings = await Doctor(standIn).CheckAsync(Issuer, null, CancellationToken.None);

        AssertFails(findings, "jwks", $"{closed} cannot be fetched: connection refused");
        Assert.Contains(findings, f => f is { Verdict: DoctorVerdict.Skipped, Check: "token" });
    }

    [Fact]
    public async Task An_http_issuer_on_a_public_host_is_reported()
    {
        const string http = "http://" + TestChain.Host;
        await using var standIn = await IssuerStandIn.StartAsync(IssuerStandIn.Discovery(http, http + "/.well-known/jwks.json"), IssuerStandIn.Jwks(), tls: null);

        var findings = await Doctor(standIn, port: 80).CheckAsync(http, null, CancellationToken.None);

        AssertFails(findings, "issuer", "is http:// on a public host");
    }

    [Fact]
    public async Task A_trailing_slash_is_reported()
    {
        await using var standIn = await IssuerStandIn.StartAsync(IssuerStandIn.Discovery(Issuer, Issuer + "/.well-known/jwks.json"), IssuerStandIn.Jwks(), _chain);

        var findings = await Doctor(standIn).CheckAsync(Issuer + "/", null, CancellationToken.None);

        AssertFails(findings, "issuer", "ends with '/'");
        Assert.Single(findings, f => f.Verdict == DoctorVerdict.Failed);
    }

    [Fact]
    public async Task A_port_in_a_public_issuer_is_reported()
    {
        const string withPort = Issuer + ":8443";
        await using var standIn = await IssuerStandIn.StartAsync(IssuerStandIn.Discovery(withPort, withPort + "/.well-known/jwks.json"), IssuerStandIn.Jwks(), _chain);

        var findings = await Doctor(standIn, port: 8443).CheckAsync(withPort, null, CancellationToken.None);

        AssertFails(findings, "issuer", "names a port (:8443)");
    }

    [Fact]
    public async Task A_server_that_does_not_send_its_intermediate_is_reported_and_nothing_is_downloaded()
    {
        await using var standIn = await IssuerStandIn.StartAsync(IssuerStandIn.Discovery(Issuer, Issuer + "/.well-known/jwks.json"), IssuerStandIn.Jwks(), _chain,
            sendIntermediate: false);

        var findings = await Doctor(standIn).CheckAsync(Issuer, null, CancellationToken.None);

        AssertFails(findings, "tls", "the chain is incomplete: the server sends 1 certificate");
        AssertFails(findings, "tls", "if that issuer is a private certificate authority, the chain ends at a root AWS does not trust either");
        Assert.Contains(findings, f => f is { Verdict: DoctorVerdict.Skipped, Check: "discovery" });
    }

    [Fact]
    public async Task A_server_whose_clock_is_far_behind_is_reported()
    {
        await using var standIn = await IssuerStandIn.StartAsync(IssuerStandIn.Discovery(Issuer, Issuer + "/.well-known/jwks.json"), IssuerStandIn.Jwks(), _chain);
        var ahead = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(5));

        var findings = await Doctor(standIn, time: ahead).CheckAsync(Issuer, null, CancellationToken.None);

        AssertFails(findings, "clock", "behind this machine's: its tokens would look expired");
    }

    [Fact]
    public async Task A_token_whose_key_is_not_published_is_reported()
    {
        await using var standIn = await IssuerStandIn.StartAsync(IssuerStandIn.Discovery(Issuer, Issuer + "/.well-known/jwks.json"), IssuerStandIn.Jwks(), _chain);
        await using var other = await InProcessServer.StartAsync(configure: s => s with { Oidc = s.Oidc with { Issuer = Issuer, Audience = TestChain.Host } });
        var token = other.Get<IdTokenService>().Issue(new IdTokenRequest { Email = "alice@example.com" }).Value!;

        var findings = await Doctor(standIn).CheckAsync(Issuer, new ServerEvidence { Audience = TestChain.Host, CurrentKid = token.Kid, Token = token.Token },
            CancellationToken.None);

        AssertFails(findings, "signing key", $"the key that signs now ({token.Kid}) is not in the published JWKS");
        AssertFails(findings, "token", "no published key verifies its signature");
    }

    [Fact]
    public async Task On_the_servers_own_database_doctor_compares_the_signing_key_and_verifies_a_fresh_token()
    {
        var kek = System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes);
        using var directory = new TemporaryDirectory();
        var database = directory.File("vouch.db");
        await using var server = await InProcessServer.StartAsync(DatabaseSettings.Parse(database), keyEncryptionKey: new KeyEncryptionKey(kek));
        var environment = new Hashtable { ["VOUCH_ISSUER"] = server.Issuer, ["VOUCH_AUDIENCE"] = server.Audience, ["VOUCH_DATABASE"] = database };

        var (withKey, withKeyOut, _) = await RunAsync(new Hashtable(environment) { ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(kek) }, "doctor");
        var (withoutKey, withoutKeyOut, _) = await RunAsync(environment, "doctor");
        var (noDatabase, noDatabaseOut, noDatabaseError) = await RunAsync(environment, "doctor", "--database", directory.File("missing.db"));

        Assert.True(withKey == 0, withKeyOut);
        Assert.Contains("NOTE  issuer: 127.0.0.1 is a loopback host", withKeyOut, StringComparison.Ordinal);
        Assert.Contains("OK    signing key: the key that signs now", withKeyOut, StringComparison.Ordinal);
        Assert.Contains("OK    token: a token minted now", withKeyOut, StringComparison.Ordinal);
        Assert.True(withoutKey == 0, withoutKeyOut);
        Assert.Contains("SKIP  token: not minted: no key-encryption key", withoutKeyOut, StringComparison.Ordinal);
        Assert.True(noDatabase == 0, noDatabaseOut);
        Assert.Contains("SKIP  signing key: not compared: the server's database could not be opened", noDatabaseOut, StringComparison.Ordinal);
        Assert.Contains("does not exist", noDatabaseError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_exits_1_when_something_is_wrong()
    {
        var (exit, output, error) = await RunAsync(new Hashtable(), "doctor", "--issuer", $"http://127.0.0.1:{FreePort.Next()}/", "--database", "/nonexistent/vouch.db");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("FAIL  issuer: 'http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  discovery:", output, StringComparison.Ordinal);
        Assert.Contains("doctor found 2 problems", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Out, string Error)> RunAsync(IDictionary environment, params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ServerCommandLine.InvokeAsync(arguments, new CommandContext(output, error, environment));
        return (exit, output.ToString(), error.ToString());
    }
}
