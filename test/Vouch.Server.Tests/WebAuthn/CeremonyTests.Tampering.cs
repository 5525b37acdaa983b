using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Protocol;
using Vouch.Authenticators.Software;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

// Assertions changed after signing, or signed correctly over the wrong content.
public sealed partial class CeremonyTests
{
    [Fact]
    public async Task A_forged_assertion_for_a_real_ceremony_is_refused()
    {
        await Alice.EnrollAsync();
        var (_, started) = await Alice.PostAsync("api/v1/login/options", new { email = (string?)null });
        using var impostor = new SoftwareCredential();
        // The impostor holds its own key for the same RP, never enrolled, and claims the enrolled credential's id.
        impostor.MakeCredential(JsonDocument.Parse($$"""{"rp":{"id":"{{new Uri(Server.Issuer).Host}}"},"user":{"id":"AAAA"},"challenge":"AAAA"}""").RootElement, Alice.Origin);
        var assertion = impostor.GetAssertion(started.GetProperty("options"), Alice.Origin);
        assertion["id"] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(Alice.Key.CredentialId);
        assertion["rawId"] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(Alice.Key.CredentialId);

        var (status, body) = await Alice.PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    /// <summary>
    /// <paramref name="assertion"/> with its authenticator data and client data changed as given, then signed again with
    /// <paramref name="key"/>'s private key: the signature is good, so only the server's other checks can refuse it.
    /// </summary>
    private static JsonObject Resign(JsonObject assertion, SoftwareCredential key, Func<byte[], byte[]>? authenticatorData = null, Func<JsonObject, JsonObject>? clientData = null)
    {
        var response = assertion["response"]!.AsObject();
        var data = Base64Url.DecodeFromChars(response["authenticatorData"]!.GetValue<string>());
        var client = JsonNode.Parse(Base64Url.DecodeFromChars(response["clientDataJSON"]!.GetValue<string>()))!.AsObject();
        data = authenticatorData?.Invoke(data) ?? data;
        var clientBytes = System.Text.Encoding.UTF8.GetBytes((clientData?.Invoke(client) ?? client).ToJsonString());
        using var signer = ECDsa.Create();
        signer.ImportPkcs8PrivateKey(Convert.FromBase64String(key.Export().PrivateKey), out _);
        var signature = signer.SignData([.. data, .. SHA256.HashData(clientBytes)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        response["authenticatorData"] = Base64Url.EncodeToString(data);
        response["clientDataJSON"] = Base64Url.EncodeToString(clientBytes);
        response["signature"] = Base64Url.EncodeToString(signature);
        return assertion;
    }

    /// <summary><paramref name="field"/> of the assertion's response, changed by <paramref name="change"/> after signing.</summary>
    private static JsonObject Tamper(JsonObject assertion, string field, Func<byte[], byte[]> change)
    {
        var response = assertion["response"]!.AsObject();
        response[field] = Base64Url.EncodeToString(change(Base64Url.DecodeFromChars(response[field]!.GetValue<string>())));
        return assertion;
    }

    private static async Task<(HttpStatusCode Status, string? Error)> RefusalAsync(Task<(HttpStatusCode Status, JsonElement Body)> login)
    {
        var (status, body) = await login;
        return (status, body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error) ? error.GetString() : null);
    }

    [Fact]
    public async Task Login_is_refused_for_authenticator_data_changed_after_signing()
    {
        await Alice.EnrollAsync();

        // Counter pushed up (a cloned key hiding its regression) and the signature left as it was.
        var answer = await RefusalAsync(Alice.LoginAsync(a => Tamper(a, "authenticatorData", d => { d[36] ^= 0x40; return d; })));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task Login_is_refused_for_client_data_changed_after_signing()
    {
        await Alice.EnrollAsync();

        // A field no other check reads: only the signature can tell.
        var answer = await RefusalAsync(Alice.LoginAsync(a => Tamper(a, "clientDataJSON",
            d => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(d).Replace("\"crossOrigin\":false", "\"crossOrigin\":false,\"x\":1", StringComparison.Ordinal)))));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task Login_is_refused_for_a_correctly_signed_webauthn_create_client_data()
    {
        await Alice.EnrollAsync();

        var answer = await RefusalAsync(Alice.LoginAsync(a => Resign(a, Alice.Key, clientData: c => { c["type"] = "webauthn.create"; return c; })));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task Login_is_refused_for_a_correctly_signed_assertion_without_user_presence()
    {
        await Alice.EnrollAsync();

        var answer = await RefusalAsync(Alice.LoginAsync(a => Resign(a, Alice.Key, authenticatorData: d => { d[32] &= 0xFE; return d; })));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task The_resigning_helper_alone_does_not_make_a_login_fail()
    {
        // The control of the tests above: an assertion signed again unchanged logs in.
        await Alice.EnrollAsync();

        var (status, body) = await Alice.LoginAsync(a => Resign(a, Alice.Key));

        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    [Fact]
    public async Task An_assertion_for_one_login_ceremony_presented_with_another_is_refused()
    {
        await Alice.EnrollAsync();
        var (_, options) = await Alice.BeginLoginAsync();
        var assertion = Alice.Key.GetAssertion(options, Alice.Origin);
        // Another ceremony, begun by someone else: a login ceremony belongs to no user until it is answered.
        using var bob = new ApiUser(Server, "bob@example.com");
        var (otherCeremony, _) = await bob.BeginLoginAsync();

        var answer = await RefusalAsync(Alice.PostAsync(ApiRoutes.Login, new { ceremony = otherCeremony, assertion }));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }
}
