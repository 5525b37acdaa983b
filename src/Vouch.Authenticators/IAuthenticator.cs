using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Authenticators;

/// <summary>
/// A FIDO2 authenticator as the browser's <c>navigator.credentials</c> would use it: takes the server's WebAuthn
/// options and answers with a PublicKeyCredential as JSON. Expected failures are <see cref="AuthenticatorException"/>s.
/// </summary>
public interface IAuthenticator
{
    JsonObject MakeCredential(JsonElement options, string origin);

    JsonObject GetAssertion(JsonElement options, string origin);
}
