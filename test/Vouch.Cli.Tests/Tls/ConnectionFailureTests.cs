using System.Security.Cryptography.X509Certificates;
using Vouch.Cli.Server;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests.Tls;

/// <summary>
/// What the CLI says when it cannot reach the Vouch server, against real loopback TLS servers with certificates made
/// in the test. "Trusted" means trusted through the test seam that stands in for the system store.
/// </summary>
public sealed class ConnectionFailureTests
{
    private static async Task<CliException> FailureAsync(string url, X509Certificate2? trustedRoot = null, TimeSpan? timeout = null)
    {
        using var connections = new ServerConnections(TimeProvider.System, timeout ?? TimeSpan.FromSeconds(10), trustedRoot is null ? null : [trustedRoot]);
        var failure = await Assert.ThrowsAsync<CliException>(() => new VouchServerClient(connections, url).GetSessionAsync("vs_test", CancellationToken.None));
        Assert.Equal(ExitCodes.ServerUnreachable, failure.ExitCode);
        Assert.StartsWith($"cannot reach the Vouch server at {url}: ", failure.Message, StringComparison.Ordinal);
        // Words, never a framework resource key (all the NativeAOT binary has for a message).
        Assert.DoesNotContain("net_", failure.Message, StringComparison.Ordinal);
        return failure;
    }

    [Fact]
    public async Task A_self_signed_certificate_is_named_and_the_message_says_how_to_trust_a_ca()
    {
        await using var server = new TlsLoopbackServer(TestCertificates.Server("CN=vouch.selfsigned.test", ["127.0.0.1"]));

        var failure = await FailureAsync(server.Url);

        Assert.Contains("self-signed (subject CN=vouch.selfsigned.test, issued by CN=vouch.selfsigned.test)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SSL_CERT_FILE", failure.Message, StringComparison.Ordinal);
        Assert.Contains("update-ca-certificates", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_an_unknown_ca_names_its_subject_and_issuer()
    {
        using var authority = TestCertificates.Authority("CN=Example Private CA");
        await using var server = new TlsLoopbackServer(TestCertificates.Server("CN=vouch.private.test", ["127.0.0.1"], authority));

        var failure = await FailureAsync(server.Url);

        Assert.Contains("(subject CN=vouch.private.test, issued by CN=Example Private CA) is not trusted by this machine", failure.Message, StringComparison.Ordinal);
        Assert.Contains("install its CA certificate in the system store", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_for_another_name_lists_its_names_and_the_host()
    {
        using var authority = TestCertificates.Authority();
        await using var server = new TlsLoopbackServer(TestCertificates.Server("CN=vouch.example.test", ["vouch.example.test", "vouch-2.example.test"], authority));

        var failure = await FailureAsync(server.Url, authority);

        Assert.Contains("its certificate is for vouch.example.test, vouch-2.example.test, not 127.0.0.1", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not trusted", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_certificate_says_when_it_expired()
    {
        var notAfter = Midnight(days: -2);

        var failure = await FailureWithTrustedCertificateAsync(notAfter.AddDays(-30), notAfter);

        Assert.Contains($"its certificate expired on {notAfter:yyyy-MM-dd} 00:00:00 UTC", failure.Message, StringComparison.Ordinal);
        Assert.Contains("renewed certificate", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not trusted", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_that_is_not_yet_valid_says_from_when()
    {
        var notBefore = Midnight(days: 2);

        var failure = await FailureWithTrustedCertificateAsync(notBefore, notBefore.AddDays(30));

        Assert.Contains($"its certificate is not valid until {notBefore:yyyy-MM-dd} 00:00:00 UTC", failure.Message, StringComparison.Ordinal);
        Assert.Contains("clock", failure.Message, StringComparison.Ordinal);
    }

    private static DateTimeOffset Midnight(int days) => new DateTimeOffset(DateTimeOffset.UtcNow.Date, TimeSpan.Zero).AddDays(days);

    /// <summary>The failure against a certificate for 127.0.0.1 from a trusted CA, valid only from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    private static async Task<CliException> FailureWithTrustedCertificateAsync(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var authority = TestCertificates.Authority();
        await using var server = new TlsLoopbackServer(TestCertificates.Server("CN=vouch.dated.test", ["127.0.0.1"], authority, notBefore, notAfter));
        return await FailureAsync(server.Url, authority);
    }

    [Fact]
    public async Task A_trusted_certificate_for_the_host_is_accepted()
    {
        using var authority = TestCertificates.Authority();
        await using var server = new TlsLoopbackServer(TestCertificates.Server("CN=vouch.good.test", ["127.0.0.1"], authority));
        using var connections = new ServerConnections(TimeProvider.System, TimeSpan.FromSeconds(10), [authority]);

        var session = await new VouchServerClient(connections, server.Url).GetSessionAsync("vs_test", CancellationToken.None);

        Assert.Equal("alice@example.com", session.Email);
    }

    [Fact]
    public async Task A_refused_connection_asks_whether_the_server_runs_on_that_port()
    {
        var port = FreePort.Next();

        var failure = await FailureAsync($"https://127.0.0.1:{port}");

        Assert.Contains($"nothing accepts connections on 127.0.0.1:{port} (connection refused): is the Vouch server running", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_named()
    {
        var failure = await FailureAsync("https://nonexistent.invalid");

        Assert.Contains("the name nonexistent.invalid ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("(DNS)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_in_words()
    {
        await using var server = new TlsLoopbackServer(certificate: null);

        var failure = await FailureAsync(server.Url, timeout: TimeSpan.FromSeconds(1));

        Assert.Contains($"no answer from 127.0.0.1:{server.Port} within 1 s (timed out)", failure.Message, StringComparison.Ordinal);
    }
}
