using System.Collections;
using Vouch.Server;
using Vouch.Server.Hosting;
using Vouch.Server.Persistence;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

public sealed class ServerSettingsTests
{
    private static Outcome<ServerSettings> Resolve(Action<VouchServerOptions> configure)
    {
        var options = new VouchServerOptions { Database = "/tmp/vouch-settings-test.db" };
        configure(options);
        return ServerSettings.Resolve(options);
    }

    [Fact]
    public void Every_setting_name_is_a_property_of_the_options_the_configuration_binds()
    {
        var properties = typeof(VouchServerOptions).GetProperties().Select(p => p.Name).Order().ToList();

        Assert.Equal(properties, SettingNames.All.Select(s => s.Key).Order().ToList());
    }

    [Theory]
    [InlineData("http://localhost:8080")]
    [InlineData("http://vouch.localhost:8080")]
    [InlineData("http://127.0.0.1:9000")]
    [InlineData("http://[::1]:9000")]
    [InlineData("https://vouch.example.com")]
    [InlineData("https://example.com/vouch")]
    public void An_https_issuer_or_an_http_issuer_on_a_loopback_host_is_accepted(string issuer)
    {
        var result = Resolve(o => o.Issuer = issuer);

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        Assert.Equal(issuer, result.Value.Oidc.Issuer);
    }

    [Theory]
    [InlineData("http://vouch.example.com", "must use https://")]
    [InlineData("http://10.0.0.1:8080", "must use https://")]
    [InlineData("https://vouch.example.com/", "must not end with '/'")]
    [InlineData("https://vouch.example.com?x=1", "must not have a query")]
    [InlineData("vouch.example.com", "is not an absolute http(s) URL")]
    [InlineData("ftp://vouch.example.com", "is not an absolute http(s) URL")]
    public void A_bad_issuer_is_refused_with_a_message_that_names_the_setting(string issuer, string reason)
    {
        var result = Resolve(o => o.Issuer = issuer);

        var error = Assert.Single(result.Problems).Description;
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Contains("--issuer", error, StringComparison.Ordinal);
        Assert.Contains("VOUCH_ISSUER", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_issuer_is_required_outside_development_mode()
    {
        var result = Resolve(_ => { });

        Assert.Contains(result.Problems, e => e.Description.Contains("--issuer", StringComparison.Ordinal) && e.Description.Contains("required", StringComparison.Ordinal));
    }

    [Fact]
    public void Development_mode_defaults_to_a_loopback_issuer_and_listens_there()
    {
        var result = Resolve(o => o.Development = true);

        Assert.True(result.Succeeded);
        Assert.Equal("http://localhost:8080", result.Value.Oidc.Issuer);
        Assert.Equal("http://localhost:8080", result.Value.Listen);
        Assert.Equal("localhost:8080", result.Value.Oidc.Audience);
    }

    [Fact]
    public void The_default_audience_is_the_issuer_without_its_scheme()
    {
        Assert.Equal("vouch.example.com", Resolve(o => o.Issuer = "https://vouch.example.com").Value?.Oidc.Audience);
        Assert.Equal("example.com/vouch", Resolve(o => o.Issuer = "https://example.com/vouch").Value?.Oidc.Audience);
        Assert.Equal("sts.amazonaws.com", Resolve(o => { o.Issuer = "https://vouch.example.com"; o.Audience = "sts.amazonaws.com"; }).Value?.Oidc.Audience);
    }

    [Fact]
    public void An_https_issuer_listens_on_loopback_behind_a_proxy_by_default()
    {
        Assert.Equal("http://127.0.0.1:8080", Resolve(o => o.Issuer = "https://vouch.example.com").Value?.Listen);
    }

    [Theory]
    [InlineData(299)]
    [InlineData(901)]
    public void A_token_lifetime_outside_five_to_fifteen_minutes_is_refused(int seconds)
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.TokenLifetimeSeconds = seconds; });

        Assert.Contains(result.Problems, e => e.Description.Contains("VOUCH_TOKEN_LIFETIME_SECONDS", StringComparison.Ordinal));
    }

    [Fact]
    public void Environment_variables_override_the_config_file_and_flags_override_both()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("vouch.json"), """{ "Issuer": "https://file.example.com", "Audience": "from-file", "TokenLifetimeSeconds": 400 }""");
        var environment = new Hashtable { ["VOUCH_AUDIENCE"] = "from-env", ["VOUCH_ISSUER"] = "https://env.example.com" };
        var flags = new Dictionary<string, string?> { ["Issuer"] = "https://flag.example.com" };

        var options = ServerConfiguration.Load(dir.File("vouch.json"), flags, environment);

        Assert.True(options.Succeeded);
        Assert.Equal("https://flag.example.com", options.Value.Issuer);
        Assert.Equal("from-env", options.Value.Audience);
        Assert.Equal(400, options.Value.TokenLifetimeSeconds);
    }

    [Fact]
    public void A_missing_or_malformed_config_file_is_reported_not_thrown()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("bad.json"), "{ not json");

        var missing = ServerConfiguration.Load(dir.File("absent.json"), new Dictionary<string, string?>(), new Hashtable());
        var malformed = ServerConfiguration.Load(dir.File("bad.json"), new Dictionary<string, string?>(), new Hashtable());
        var wrongType = ServerConfiguration.Load(null, new Dictionary<string, string?>(), new Hashtable { ["VOUCH_TOKEN_LIFETIME_SECONDS"] = "ten" });

        Assert.Contains("does not exist", Assert.Single(missing.Problems).Description, StringComparison.Ordinal);
        Assert.Contains("bad.json", Assert.Single(malformed.Problems).Description, StringComparison.Ordinal);
        Assert.Single(wrongType.Problems);
    }

    [Fact]
    public void A_certificate_without_its_key_is_refused_naming_both_settings()
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.TlsCertificate = "/etc/vouch/cert.pem"; });

        var error = Assert.Single(result.Problems).Description;
        Assert.Contains("--tls-certificate", error, StringComparison.Ordinal);
        Assert.Contains("--tls-private-key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_file_that_cannot_be_loaded_is_refused_with_its_path()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("cert.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        File.WriteAllText(dir.File("key.pem"), "");

        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.TlsCertificate = dir.File("cert.pem"); o.TlsPrivateKey = dir.File("key.pem"); });

        var error = Assert.Single(result.Problems).Description;
        Assert.Contains(dir.File("cert.pem"), error, StringComparison.Ordinal);
        Assert.Contains("VOUCH_TLS_CERTIFICATE", error, StringComparison.Ordinal);
    }

    [Fact]
    public void With_its_own_certificate_the_server_listens_with_https_on_the_issuer_port()
    {
        using var dir = new TemporaryDirectory();
        var (certificate, key) = SelfSignedPem("vouch.example.com");
        File.WriteAllText(dir.File("cert.pem"), certificate);
        File.WriteAllText(dir.File("key.pem"), key);

        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.TlsCertificate = dir.File("cert.pem"); o.TlsPrivateKey = dir.File("key.pem"); });
        var plain = Resolve(o =>
        {
            o.Issuer = "https://vouch.example.com"; o.TlsCertificate = dir.File("cert.pem"); o.TlsPrivateKey = dir.File("key.pem");
            o.Listen = "http://127.0.0.1:8080";
        });

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        Assert.Equal("https://0.0.0.0:443", result.Value.Listen);
        Assert.Equal(dir.File("cert.pem"), result.Value.Tls?.CertificatePath);
        Assert.Contains("must be an https:// URL", Assert.Single(plain.Problems).Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0/8,192.168.1.7", 2)]
    [InlineData(" 127.0.0.1 , ::1 ", 2)]
    [InlineData("2001:db8::/32", 1)]
    [InlineData("", 0)]
    public void Trusted_proxies_are_addresses_or_cidr_ranges(string value, int count)
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.TrustedProxies = value; });

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        Assert.Equal(count, result.Value.TrustedProxies.Count);
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("proxy.example.com")]
    [InlineData("10.0.0.0/8;10.1.0.0/16")]
    public void A_malformed_trusted_proxy_is_refused_naming_the_entry_and_the_setting(string value)
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.TrustedProxies = value; });

        var error = Assert.Single(result.Problems).Description;
        Assert.Contains("--trusted-proxies", error, StringComparison.Ordinal);
        Assert.Contains("VOUCH_TRUSTED_PROXIES", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 300, "--ceremony-rate-limit")]
    [InlineData(30, 0, "--token-rate-limit")]
    [InlineData(30, 100_001, "--token-rate-limit")]
    public void A_rate_limit_outside_its_range_is_refused(int ceremonies, int tokens, string flag)
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.CeremonyRateLimit = ceremonies; o.TokenRateLimit = tokens; });

        Assert.Contains(flag, Assert.Single(result.Problems).Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Rate_limits_reach_the_features_that_enforce_them()
    {
        var result = Resolve(o => { o.Issuer = "https://vouch.example.com"; o.CeremonyRateLimit = 7; o.TokenRateLimit = 70; });

        Assert.Equal(7, result.Value?.WebAuthn.CeremoniesPerMinute);
        Assert.Equal(70, result.Value?.Sessions.RequestsPerMinute);
    }

    private static (string Certificate, string Key) SelfSignedPem(string name)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={name}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

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
