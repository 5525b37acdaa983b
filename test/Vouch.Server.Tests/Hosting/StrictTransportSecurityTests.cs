using System.Net;
using Vouch.Protocol;
using Vouch.Server.Hosting;
using Vouch.Server.Oidc;
using Vouch.Server.Web;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>Security review L4: HSTS whenever the issuer is https, whoever terminates TLS; never on an http issuer.</summary>
public sealed class StrictTransportSecurityTests
{
    /// <summary>A page, a document, a JSON API error and a 404: HSTS is on every kind of response.</summary>
    private static readonly (HttpMethod Method, string Path)[] Requests =
    [
        (HttpMethod.Get, "login"), (HttpMethod.Get, ".well-known/openid-configuration"),
        (HttpMethod.Post, ApiRoutes.Token.TrimStart('/')), (HttpMethod.Get, "no-such-page"),
    ];

    private static async Task<List<string?>> HstsAsync(HttpClient client, string baseAddress)
    {
        var answers = new List<string?>();
        foreach (var (method, path) in Requests)
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, baseAddress + "/" + path));
            answers.Add(response.Headers.TryGetValues("Strict-Transport-Security", out var values) ? string.Join(",", values) : null);
        }
        return answers;
    }

    private static Func<ServerSettings, ServerSettings> Issuer(string issuer, TlsFiles? tls = null, string? listen = null) => settings => settings with
    {
        Oidc = new OidcOptions { Issuer = issuer, Audience = "vouch-test", TokenLifetime = TimeSpan.FromMinutes(10) },
        WebAuthn = WebAuthnOptions.ForIssuer(issuer, AttestationPolicy.Any),
        Tls = tls,
        Listen = listen ?? settings.Listen,
    };

    [Fact]
    public async Task A_server_that_terminates_tls_itself_sends_hsts_on_every_response()
    {
        using var pki = await TestPki.CreateAsync();
        var port = FreePort.Next();
        var issuer = $"https://localhost:{port}";
        await using var server = await InProcessServer.StartAsync(
            configure: Issuer(issuer, new TlsFiles(pki.LeafChainFile, pki.LeafKeyFile), $"https://127.0.0.1:{port}"));
        using var client = pki.CreateHttpClient();

        Assert.All(await HstsAsync(client, issuer), value => Assert.Equal(WebPages.StrictTransportSecurity, value));
    }

    [Fact]
    public async Task A_server_behind_a_proxy_with_an_https_issuer_sends_hsts()
    {
        var port = FreePort.Next();
        await using var server = await InProcessServer.StartAsync(configure: Issuer("https://vouch.example.com", listen: $"http://127.0.0.1:{port}"));
        using var client = new HttpClient();

        Assert.All(await HstsAsync(client, $"http://127.0.0.1:{port}"), value => Assert.Equal(WebPages.StrictTransportSecurity, value));
    }

    [Fact]
    public async Task A_loopback_http_issuer_gets_no_hsts()
    {
        await using var server = await InProcessServer.StartAsync();

        Assert.All(await HstsAsync(server.Client, server.Issuer), Assert.Null);
    }
}
