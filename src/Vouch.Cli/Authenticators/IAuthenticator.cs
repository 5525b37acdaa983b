using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Cli.Authenticators;

/// <summary>
/// A FIDO2 authenticator as the browser's <c>navigator.credentials</c> would use it: takes the server's WebAuthn
/// options and answers with a PublicKeyCredential as JSON. Failures are <see cref="CliException"/>s with
/// <see cref="ExitCodes.NoKey"/>.
/// </summary>
public interface IAuthenticator
{
    JsonObject MakeCredential(JsonElement options, string origin);

    JsonObject GetAssertion(JsonElement options, string origin);
}
