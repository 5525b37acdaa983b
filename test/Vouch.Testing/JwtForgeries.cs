using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Vouch.Testing;

/// <summary>
/// The classic attacks on a JWS, each made from a real ID token and the issuer's JWKS, for showing that the relying
/// parties that trust Vouch (jose, Ceph RGW's STS) refuse them all. <see cref="Names"/> lists them; a forgery that
/// names a key location (<c>jku</c>, <c>x5u</c>) points at an <see cref="AttackerKeyServer"/>.
/// </summary>
public static class JwtForgeries
{
    /// <summary>Every forgery <see cref="Forge"/> makes, by name.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "alg-none",
        "alg-none-no-signature-part",
        "hs256-keyed-with-jwk-x-and-y",
        "hs256-keyed-with-jwk-json",
        "hs256-keyed-with-spki-pem",
        "hs256-keyed-with-spki-der",
        "hs256-keyed-with-x5c-certificate",
        "hs256-empty-key-kid-path-traversal",
        "attacker-key-under-published-kid",
        "attacker-key-embedded-as-jwk-header",
        "attacker-key-behind-jku",
        "attacker-key-behind-x5u",
        "signature-stripped",
        "payload-tampered-after-signing",
        "header-tampered-after-signing",
    ];

    /// <summary>
    /// The forgery <paramref name="name"/> of <paramref name="token"/> (a real ES256 ID token whose subject it claims
    /// for <paramref name="subject"/> when the attack lets it choose one), using the issuer's <paramref name="jwks"/>
    /// and <paramref name="attacker"/>'s key and addresses.
    /// </summary>
    public static string Forge(string name, string token, JsonElement jwks, AttackerKeyServer attacker, string subject)
    {
        var parts = token.Split('.');
        var header = JsonNode.Parse(Base64UrlEncoder.Decode(parts[0]))!.AsObject();
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!.AsObject();
        var key = jwks.GetProperty("keys")[0];
        var claimed = (JsonObject)payload.DeepClone();
        claimed["sub"] = subject;
        claimed["email"] = subject;

        return name switch
        {
            "alg-none" => Unsigned(With(header, "alg", "none"), claimed) + ".",
            "alg-none-no-signature-part" => Unsigned(With(header, "alg", "none"), claimed),
            "hs256-keyed-with-jwk-x-and-y" => Hmac(header, claimed, [.. Base64UrlEncoder.DecodeBytes(key.GetProperty("x").GetString()), .. Base64UrlEncoder.DecodeBytes(key.GetProperty("y").GetString())]),
            "hs256-keyed-with-jwk-json" => Hmac(header, claimed, Encoding.UTF8.GetBytes(key.GetRawText())),
            "hs256-keyed-with-spki-pem" => Hmac(header, claimed, Encoding.UTF8.GetBytes(PublicKey(key).ExportSubjectPublicKeyInfoPem())),
            "hs256-keyed-with-spki-der" => Hmac(header, claimed, PublicKey(key).ExportSubjectPublicKeyInfo()),
            "hs256-keyed-with-x5c-certificate" => Hmac(header, claimed, Convert.FromBase64String(key.GetProperty("x5c")[0].GetString()!)),
            "hs256-empty-key-kid-path-traversal" => Hmac(With(header, "kid", "../../../../../../../dev/null"), claimed, []),
            "attacker-key-under-published-kid" => attacker.Sign(header, claimed),
            "attacker-key-embedded-as-jwk-header" => attacker.Sign(With(header, "jwk", attacker.PublicJwk()), claimed),
            "attacker-key-behind-jku" => attacker.Sign(With(With(header, "jku", attacker.JwksUrl), "kid", AttackerKeyServer.Kid), claimed),
            "attacker-key-behind-x5u" => attacker.Sign(With(With(header, "x5u", attacker.CertificateUrl), "kid", AttackerKeyServer.Kid), claimed),
            "signature-stripped" => $"{parts[0]}.{parts[1]}.",
            "payload-tampered-after-signing" => $"{parts[0]}.{Encode(claimed)}.{parts[2]}",
            "header-tampered-after-signing" => $"{Encode(With(header, "kid", "another"))}.{parts[1]}.{parts[2]}",
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such forgery"),
        };
    }

    private static JsonObject With(JsonObject header, string name, JsonNode value)
    {
        var copy = (JsonObject)header.DeepClone();
        copy[name] = value.DeepClone();
        return copy;
    }

    private static string Encode(JsonObject json) => Base64UrlEncoder.Encode(json.ToJsonString());

    private static string Unsigned(JsonObject header, JsonObject payload) => $"{Encode(header)}.{Encode(payload)}";

    private static string Hmac(JsonObject header, JsonObject payload, byte[] secret)
    {
        var input = Unsigned(With(header, "alg", "HS256"), payload);
        return input + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }

    private static ECDsa PublicKey(JsonElement jwk) => ECDsa.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint
        {
            X = Base64UrlEncoder.DecodeBytes(jwk.GetProperty("x").GetString()),
            Y = Base64UrlEncoder.DecodeBytes(jwk.GetProperty("y").GetString()),
        },
    });
}

/// <summary>
/// An attacker's ES256 key, with a loopback HTTP listener that serves it as a JWKS (<see cref="JwksUrl"/>) and as a
/// PEM certificate (<see cref="CertificateUrl"/>), and counts every connection: a verifier that follows a token's
/// <c>jku</c> or <c>x5u</c> shows up in <see cref="Connections"/>.
/// </summary>
public sealed class AttackerKeyServer : IAsyncDisposable
{
    public const string Kid = "attacker";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private int _connections;

    public AttackerKeyServer()
    {
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=attacker", _key, HashAlgorithmName.SHA256);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _listener.Start();
        _serving = ServeAsync();
    }

    private string Base => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public string JwksUrl => Base + "/.well-known/jwks.json";

    public string CertificateUrl => Base + "/attacker.pem";

    /// <summary>How many connections the listener accepted.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The attacker's public key as a JWK (with its certificate in <c>x5c</c>).</summary>
    public JsonObject PublicJwk()
    {
        var parameters = _key.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["alg"] = "ES256", ["use"] = "sig", ["kid"] = Kid,
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X), ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
            ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)),
        };
    }

    /// <summary>Signs <paramref name="header"/> (with alg ES256) and <paramref name="payload"/> with the attacker's key.</summary>
    public string Sign(JsonObject header, JsonObject payload)
    {
        var signed = (JsonObject)header.DeepClone();
        signed["alg"] = "ES256";
        var input = Base64UrlEncoder.Encode(signed.ToJsonString()) + "." + Base64UrlEncoder.Encode(payload.ToJsonString());
        return input + "." + Base64UrlEncoder.Encode(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    private async Task ServeAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                try
                {
                    await AnswerAsync(client);
                }
                catch (IOException)
                {
                    // The verifier hung up: counted all the same.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.Latin1, leaveOpen: true);
        var requestLine = await reader.ReadLineAsync(_stop.Token) ?? "";
        var body = requestLine.Contains(".pem", StringComparison.Ordinal)
            ? _certificate.ExportCertificatePem()
            : new JsonObject { ["keys"] = new JsonArray(PublicJwk()) }.ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(body);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
        await stream.WriteAsync(bytes, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _serving;
        _listener.Stop();
        _stop.Dispose();
        _certificate.Dispose();
        _key.Dispose();
    }
}
