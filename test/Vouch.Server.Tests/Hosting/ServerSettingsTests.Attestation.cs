using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

// The attestation policy, its roots and its AAGUID list.
public sealed partial class ServerSettingsTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    [InlineData("7")]
    [InlineData("none")]
    public void An_attestation_policy_that_is_not_a_name_is_refused_never_read_as_a_number(string value)
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.Attestation = value; });

        Assert.Contains("--attestation", Assert.Single(result.Problems).Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("yubikey", "yubikey")]
    [InlineData("YubiKey", "yubikey")]
    [InlineData("any", "any")]
    public void The_attestation_policy_is_read_by_name(string value, string expected)
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.Attestation = value; });

        Assert.Equal(expected, result.Value?.WebAuthn.Attestation.Name);
    }

    [Fact]
    public void The_yubikey_policy_checks_yubicos_roots_and_yubicos_models()
    {
        var policy = Resolve(o => o.Issuer = "https://vouch.example.com").Value!.WebAuthn.Attestation;

        Assert.Equal("yubikey", policy.Name);
        Assert.True(policy.ProvesHardware);
        Assert.Contains(new Guid("a25342c0-3cdc-4414-8e46-f4807fca511c"), policy.Models!); // YubiKey 5 NFC, firmware 5.7
        Assert.DoesNotContain(new Guid("42b4fb4a-2866-43b2-9bf7-6c6669c2e5d3"), policy.Models!); // Google Titan v2
    }

    [Fact]
    public void Attestation_roots_replace_yubicos_and_the_aaguid_list_limits_the_models()
    {
        using var dir = new TemporaryDirectory();
        var (root, _) = AttestationChains.Create("Acme Keys");
        File.WriteAllText(dir.File("roots.pem"), root.ExportCertificatePem());
        File.WriteAllText(dir.File("models.txt"), "# Acme's two models\n5ef1a1c0-0000-4000-8000-000000f1d0e5  # Acme Key\n\nAB8F3B3F-0000-4000-8000-000000000001\n");

        var policy = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.AttestationRoots = dir.File("roots.pem"); o.AttestationAaguids = dir.File("models.txt"); })
            .Value!.WebAuthn.Attestation;

        Assert.Equal(root.Thumbprint, Assert.Single(policy.Roots!).Thumbprint);
        Assert.Equal([new Guid("5ef1a1c0-0000-4000-8000-000000f1d0e5"), new Guid("ab8f3b3f-0000-4000-8000-000000000001")], policy.Models!.Order());
    }

    [Fact]
    public void An_aaguid_list_alone_limits_the_yubico_models()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("models.txt"), "a25342c0-3cdc-4414-8e46-f4807fca511c\n");

        var policy = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.AttestationAaguids = dir.File("models.txt"); }).Value!.WebAuthn.Attestation;

        Assert.Equal(AttestationPolicy.Yubikey.Roots, policy.Roots);
        Assert.Equal([new Guid("a25342c0-3cdc-4414-8e46-f4807fca511c")], policy.Models!);
    }

    [Theory]
    [InlineData("not-a-guid\n", "line 1: 'not-a-guid' is not an AAGUID")]
    [InlineData("# nothing here\n\n", "lists no AAGUID")]
    [InlineData("a25342c03cdc44148e46f4807fca511c\n", "is not an AAGUID")]
    public void A_malformed_aaguid_list_is_refused_with_its_line(string content, string expected)
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("models.txt"), content);

        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.AttestationAaguids = dir.File("models.txt"); });

        var problem = Assert.Single(result.Problems).Description;
        Assert.Contains("--attestation-aaguids", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_aaguid_list_without_a_checked_attestation_is_refused()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("models.txt"), "a25342c0-3cdc-4414-8e46-f4807fca511c\n");

        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.Attestation = "any"; o.AttestationAaguids = dir.File("models.txt"); });

        Assert.Contains("proves nothing", Assert.Single(result.Problems).Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no certificate here\n", "holds no PEM certificate")]
    [InlineData(null, "cannot read")]
    public void Attestation_roots_that_are_not_certificates_are_refused(string? content, string expected)
    {
        using var dir = new TemporaryDirectory();
        if (content is not null) File.WriteAllText(dir.File("roots.pem"), content);

        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.AttestationRoots = dir.File("roots.pem"); });

        var problem = Assert.Single(result.Problems).Description;
        Assert.Contains("--attestation-roots", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Attestation_roots_with_a_named_policy_are_refused_as_ambiguous()
    {
        using var dir = new TemporaryDirectory();
        var (root, _) = AttestationChains.Create("Acme Keys");
        File.WriteAllText(dir.File("roots.pem"), root.ExportCertificatePem());

        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.Attestation = "any"; o.AttestationRoots = dir.File("roots.pem"); });

        Assert.Contains("not both", Assert.Single(result.Problems).Description, StringComparison.Ordinal);
    }
}
