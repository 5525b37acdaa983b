using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Vouch.Testing;

namespace Vouch.Server.Tests.Aws;

/// <summary>
/// A tiny stand-in for an issuer, broken on purpose: Kestrel on a loopback port serving the discovery document and
/// JWKS it is given, over https with the <see cref="TestChain"/> leaf (and its intermediate, unless left out) or over
/// plain http.
/// </summary>
internal sealed class IssuerStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private IssuerStandIn(WebApplication app, int port) => (_app, Port) = (app, port);

    public int Port { get; }

    /// <summary>Where a doctor should connect for <c>host:<paramref name="port"/></c>.</summary>
    public KeyValuePair<string, IPEndPoint> Route(string host, int port) => new($"{host}:{port}", new IPEndPoint(IPAddress.Loopback, Port));

    /// <summary>A JWKS with one fresh P-256 key, as a server would publish it.</summary>
    public static string Jwks()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        return $$"""{"keys":[{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":"stand-in","x":"{{Base64UrlEncoder.Encode(q.X)}}","y":"{{Base64UrlEncoder.Encode(q.Y)}}"}]}""";
    }

    /// <summary>The discovery document of <paramref name="issuer"/> whose keys are at <paramref name="jwksUri"/>.</summary>
    public static string Discovery(string issuer, string jwksUri) =>
        $$"""{"issuer":"{{issuer}}","jwks_uri":"{{jwksUri}}","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["ES256"]}""";

    public static async Task<IssuerStandIn> StartAsync(string discovery, string jwks, TestChain? tls, bool sendIntermediate = true)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            if (tls is null) return;
            listen.UseHttps(https =>
            {
                https.ServerCertificate = tls.Leaf;
                if (sendIntermediate) https.ServerCertificateChain = new X509Certificate2Collection(tls.Intermediate);
            });
        }));
        var app = builder.Build();
        app.MapGet("/.well-known/openid-configuration", () => Results.Text(discovery, "application/json"));
        app.MapGet("/.well-known/jwks.json", () => Results.Text(jwks, "application/json"));
        await app.StartAsync();
        return new IssuerStandIn(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
