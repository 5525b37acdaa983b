using System.Collections;
using Vouch.Server.Hosting;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

public sealed partial class ServerSettingsTests
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
}
