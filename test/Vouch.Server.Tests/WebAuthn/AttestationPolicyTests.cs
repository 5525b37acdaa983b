using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Vouch.Protocol;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>The <c>yubikey</c> attestation policy: only keys whose attestation chains to a trusted root enroll.</summary>
public sealed class AttestationPolicyTests
{
    [Fact]
    public void The_shipped_roots_are_exactly_the_pinned_yubico_certificates()
    {
        var fingerprints = AttestationPolicy.Yubikey.Roots!.Select(r => Convert.ToHexStringLower(SHA256.HashData(r.RawData))).Order();

        Assert.Equal([
            "0fa1386f80eb8713263ae5c1d84deb455bdf08aea50ab05503cefee82b092d42",
            "35f1a54b353bfb711e6d42adbeb76c0e9dead095018e6a94783ba2192fd6faad",
            "62760c6a6ef91679f454c8902b80fd009825b3f25da90f1fbace2ec6586cd5a8",
        ], fingerprints);
        Assert.All(AttestationPolicy.Yubikey.Roots!, r => Assert.StartsWith("CN=Yubico", r.Subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_key_attested_under_a_trusted_root_enrolls()
    {
        var (root, attestation) = AttestationChains.Create("Trusted Vendor");
        var status = await EnrollAsync(Trusting(root), attestation);

        Assert.Equal(HttpStatusCode.OK, status.Status);
    }

    [Fact]
    public async Task A_key_attested_through_an_intermediate_it_sends_enrolls()
    {
        var (root, intermediate, attestation) = AttestationChains.CreateWithIntermediate("Trusted Vendor");

        var (status, error) = await EnrollAsync(Trusting(root), attestation, [intermediate]);

        Assert.True(status == HttpStatusCode.OK, error);
    }

    [Fact]
    public async Task A_key_attested_through_an_intermediate_it_does_not_send_is_refused()
    {
        var (root, _, attestation) = AttestationChains.CreateWithIntermediate("Trusted Vendor");

        var (status, error) = await EnrollAsync(Trusting(root), attestation);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, error);
    }

    [Fact]
    public async Task A_key_attested_under_another_root_is_refused()
    {
        var (trusted, _) = AttestationChains.Create("Trusted Vendor");
        var (_, impostor) = AttestationChains.Create("Other Vendor");

        var (status, error) = await EnrollAsync(Trusting(trusted), impostor);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, error);
    }

    [Fact]
    public async Task A_key_with_self_attestation_is_refused_even_when_roots_are_trusted()
    {
        var (trusted, _) = AttestationChains.Create("Trusted Vendor");

        var (status, error) = await EnrollAsync(Trusting(trusted), attestation: null);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, error);
    }

    [Fact]
    public async Task A_key_whose_model_is_not_on_the_list_is_refused_and_audited_with_its_aaguid_and_subject()
    {
        var (root, attestation) = AttestationChains.Create("Trusted Vendor");
        var policy = Trusting(root).LimitedTo(new HashSet<Guid> { new("a25342c0-3cdc-4414-8e46-f4807fca511c") });
        await using var server = await InProcessServer.StartAsync(attestation: policy);

        var (status, body) = await TryEnrollAsync(server, attestation);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, body.GetProperty("error").GetString());
        Assert.Equal("this server accepts only the security key models its administrator allows: this key was refused because its model (AAGUID 00000000-0000-0000-0000-000000000000) is not on the server's list",
            body.GetProperty("error_description").GetString());
        await using var db = server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        var refused = System.Text.Json.JsonDocument.Parse(db.AuditRecords.Single(r => r.Type == Vouch.Server.Audit.AuditEventTypes.EnrollmentFailed).Data).RootElement;
        Assert.Equal("00000000-0000-0000-0000-000000000000", refused.GetProperty("aaguid").GetString());
        Assert.Equal(attestation.Subject, refused.GetProperty("certificate_subject").GetString());
        Assert.Empty(db.Credentials);
    }

    [Theory]
    [InlineData(true, """["hwk","pin"]""")]
    [InlineData(false, """["pop"]""")]
    public async Task Tokens_say_hwk_only_when_the_attestation_policy_proved_the_key_hardware(bool checkedPolicy, string amr)
    {
        var (root, attestation) = AttestationChains.Create("Trusted Vendor");
        await using var server = await InProcessServer.StartAsync(attestation: checkedPolicy ? Trusting(root) : AttestationPolicy.Any);
        using var alice = new ApiUser(server);
        alice.Key.AttestationCertificate = attestation;

        var session = await alice.EnrollAndLoginAsync();
        var (status, body) = await alice.TokenAsync(session);

        Assert.Equal(HttpStatusCode.OK, status);
        var payload = System.Text.Json.JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(body.GetProperty("id_token").GetString()!.Split('.')[1]));
        Assert.Equal(amr, payload.RootElement.GetProperty("amr").GetRawText());
    }

    [Fact]
    public async Task The_yubikey_policy_refuses_a_software_key_and_says_why()
    {
        await using var server = await InProcessServer.StartAsync();

        var (status, body) = await TryEnrollAsync(server, attestation: null);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("this server accepts only YubiKeys: this key was refused because it sent no attestation certificate ('none' attestation)",
            body.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task Checking_a_chain_never_fetches_an_issuer_from_the_certificates_own_url()
    {
        // The attacker's leaf names an intermediate to download (AIA); the server must not go and get it.
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=AIA Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=AIA Test Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var intermediate = intermediateRequest.Create(root, now.AddDays(-1), now.AddMonths(6), [7]).CopyWithPrivateKey(intermediateKey);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, FreePort.Next());
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var fetched = 0;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var connection = await listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref fetched);
                var body = intermediate.RawData;
                var head = System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await connection.GetStream().WriteAsync(head.Concat(body).ToArray());
            }
        });
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=AIA Test Leaf", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [$"http://127.0.0.1:{port}/intermediate.cer"]));
        using var leaf = leafRequest.Create(intermediate, now.AddDays(-1), now.AddMonths(1), [8]);

        var genuine = Trusting(root).ChainsToRoot([leaf]);
        await Task.Delay(200);
        listener.Stop();

        Assert.False(genuine);
        Assert.Equal(0, Volatile.Read(ref fetched));
    }

    private static AttestationPolicy Trusting(X509Certificate2 root) => AttestationPolicy.Trusting("test roots", [root], models: null);

    private static async Task<(HttpStatusCode Status, string? Error)> EnrollAsync(
        AttestationPolicy policy, X509Certificate2? attestation, IReadOnlyList<X509Certificate2>? intermediates = null)
    {
        await using var server = await InProcessServer.StartAsync(attestation: policy);
        var (status, body) = await TryEnrollAsync(server, attestation, intermediates);
        return (status, body.TryGetProperty("error", out var e) ? e.GetString() : null);
    }

    private static async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> TryEnrollAsync(
        InProcessServer server, X509Certificate2? attestation, IReadOnlyList<X509Certificate2>? intermediates = null)
    {
        using var alice = new ApiUser(server);
        alice.Key.AttestationCertificate = attestation;
        alice.Key.AttestationIntermediates = intermediates ?? [];
        var (_, options) = await alice.PostAsync("api/v1/enroll/options", new { invite = await alice.InviteAsync() });
        var credential = alice.Key.MakeCredential(options.GetProperty("options"), alice.Origin);
        return await alice.PostAsync("api/v1/enroll", new { ceremony = options.GetProperty("ceremony").GetString(), credential });
    }
}
