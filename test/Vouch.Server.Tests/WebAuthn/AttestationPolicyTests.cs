using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Vouch.Protocol;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;
using Vouch.Authenticators.Software;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>The <c>yubikey</c> attestation policy: only keys whose attestation chains to a trusted root enroll.</summary>
public sealed class AttestationPolicyTests
{
    [Fact]
    public void The_shipped_roots_are_exactly_the_pinned_yubico_certificates()
    {
        var fingerprints = YubicoAttestation.Shipped.Roots.Select(r => Convert.ToHexStringLower(SHA256.HashData(r.RawData))).Order();

        Assert.Equal([
            "0fa1386f80eb8713263ae5c1d84deb455bdf08aea50ab05503cefee82b092d42",
            "35f1a54b353bfb711e6d42adbeb76c0e9dead095018e6a94783ba2192fd6faad",
            "62760c6a6ef91679f454c8902b80fd009825b3f25da90f1fbace2ec6586cd5a8",
        ], fingerprints);
        Assert.All(YubicoAttestation.Shipped.Roots, r => Assert.StartsWith("CN=Yubico", r.Subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_key_attested_under_a_trusted_root_enrolls()
    {
        var (root, attestation) = AttestationChains.Create("Trusted Vendor");
        var status = await EnrollAsync(new YubicoAttestation([root]), attestation);

        Assert.Equal(HttpStatusCode.OK, status.Status);
    }

    [Fact]
    public async Task A_key_attested_through_an_intermediate_it_sends_enrolls()
    {
        var (root, intermediate, attestation) = AttestationChains.CreateWithIntermediate("Trusted Vendor");

        var (status, error) = await EnrollAsync(new YubicoAttestation([root]), attestation, [intermediate]);

        Assert.True(status == HttpStatusCode.OK, error);
    }

    [Fact]
    public async Task A_key_attested_through_an_intermediate_it_does_not_send_is_refused()
    {
        var (root, _, attestation) = AttestationChains.CreateWithIntermediate("Trusted Vendor");

        var (status, error) = await EnrollAsync(new YubicoAttestation([root]), attestation);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, error);
    }

    [Fact]
    public async Task A_key_attested_under_another_root_is_refused()
    {
        var (trusted, _) = AttestationChains.Create("Trusted Vendor");
        var (_, impostor) = AttestationChains.Create("Other Vendor");

        var (status, error) = await EnrollAsync(new YubicoAttestation([trusted]), impostor);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, error);
    }

    [Fact]
    public async Task A_key_with_self_attestation_is_refused_even_when_roots_are_trusted()
    {
        var (trusted, _) = AttestationChains.Create("Trusted Vendor");

        var (status, error) = await EnrollAsync(new YubicoAttestation([trusted]), attestation: null);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, error);
    }

    private static async Task<(HttpStatusCode Status, string? Error)> EnrollAsync(
        YubicoAttestation policy, X509Certificate2? attestation, IReadOnlyList<X509Certificate2>? intermediates = null)
    {
        await using var server = await InProcessServer.StartAsync(yubico: policy);
        using var key = new SoftwareCredential { AttestationCertificate = attestation, AttestationIntermediates = intermediates ?? [] };
        var code = (await server.Get<InviteService>().CreateAsync(EmailAddress.TryParse("alice@example.com")!, "example.com", TimeSpan.FromHours(1), "admin:test", CancellationToken.None)).Code;
        using var started = await server.Client.PostAsJsonAsync("api/v1/enroll/options", new { invite = code });
        var options = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement;
        var credential = key.MakeCredential(options.GetProperty("options"), new Uri(server.Issuer).GetLeftPart(UriPartial.Authority));
        using var finished = await server.Client.PostAsJsonAsync("api/v1/enroll", new { ceremony = options.GetProperty("ceremony").GetString(), credential });
        var body = JsonDocument.Parse(await finished.Content.ReadAsStringAsync()).RootElement;
        return (finished.StatusCode, body.TryGetProperty("error", out var e) ? e.GetString() : null);
    }
}
