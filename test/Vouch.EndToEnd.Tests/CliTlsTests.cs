using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// The published CLI against an HTTPS endpoint whose self-signed certificate it does not trust: it says so in words
/// (not a framework resource key), and the documented remedy, <c>SSL_CERT_FILE</c>, works.
/// </summary>
public sealed class CliTlsTests : IAsyncLifetime
{
    private readonly X509Certificate2 _certificate = SelfSigned();
    private readonly CliSandbox _user = new();
    private WebApplication _endpoint = null!;
    private string _url = "";

    private const string Subject = "CN=vouch.e2e.test";

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    public async Task InitializeAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(_certificate)));
        // No routes: every request is answered 404, which only a client that trusted the certificate sees.
        _endpoint = builder.Build();
        await _endpoint.StartAsync();
        _url = $"https://127.0.0.1:{port}";
    }

    public async Task DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        _certificate.Dispose();
        _user.Dispose();
    }

    [Fact]
    public async Task An_untrusted_certificate_is_explained_in_words_with_the_unreachable_exit_code()
    {
        var login = await _user.RunAsync("login", "--server", _url);

        Assert.Equal(5, login.ExitCode);
        Assert.StartsWith($"vouch: cannot reach the Vouch server at {_url}: its certificate is self-signed (subject {Subject}, issued by {Subject})", login.StandardError, StringComparison.Ordinal);
        Assert.Contains("SSL_CERT_FILE", login.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("net_", login.StandardError, StringComparison.Ordinal);
        Assert.Empty(login.StandardOutput);
    }

    [Fact]
    public async Task A_certificate_trusted_through_SSL_CERT_FILE_is_accepted()
    {
        var bundle = Path.Combine(_user.Home, "private-ca.pem");
        await File.WriteAllTextAsync(bundle, _certificate.ExportCertificatePem());
        var environment = _user.Environment();
        environment["SSL_CERT_FILE"] = bundle;

        var login = await ProcessRunner.RunAsync(CliSandbox.Binary, ["login", "--server", _url], environment, _user.Home, standardInput: "");

        // Past TLS: the endpoint is no Vouch server, and says 404.
        Assert.Equal(8, login.ExitCode);
        Assert.Contains($"the Vouch server at {_url} answered 404", login.StandardError, StringComparison.Ordinal);
    }
}
