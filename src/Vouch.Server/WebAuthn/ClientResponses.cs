using System.Formats.Asn1;
using System.Formats.Cbor;
using System.Text.Json;
using Fido2NetLib;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Reads what a client sent for a ceremony, and tells which exceptions mean "the client's data did not verify".
/// Anything else (a database failure, a bug) is not a refusal and must surface as one.
/// </summary>
internal static class ClientResponses
{
    /// <summary>
    /// Parses the client's JSON into Fido2's type; null with the reason when it is malformed: not a JSON object, or
    /// missing a part that <paramref name="complete"/> requires (Fido2 would otherwise fail on it with a bug's exception),
    /// or with a part that <paramref name="malformed"/> finds badly shaped (it returns why, else null).
    /// </summary>
    public static T? Parse<T>(JsonElement json, Func<T, bool> complete, Func<T, string?> malformed, out string? reason) where T : class
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            reason = "malformed response: not a JSON object";
            return null;
        }
        try
        {
            var parsed = json.Deserialize<T>() ?? throw new JsonException("empty");
            reason = !complete(parsed) ? "malformed response: a required field is missing"
                : malformed(parsed) is { } shape ? "malformed response: " + shape
                : null;
            return reason is null ? parsed : null;
        }
        // Fido2's converters decode base64url and enums: a malformed value fails with these, never with I/O.
        // The reason is audited and shown on /admin/audit: the deserializer's own message names .NET types, so only the
        // JSON path is kept.
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            reason = e is JsonException { Path: { } path }
                ? "malformed response: malformed credential JSON at " + path
                : "malformed response: a value in the credential JSON is not in its format";
            return null;
        }
    }

    /// <summary>
    /// True for what Fido2 throws when a response does not verify: its own exception, and the decoders' for
    /// malformed CBOR and ASN.1 inside the attestation or authenticator data.
    /// </summary>
    public static bool DidNotVerify(Exception exception) =>
        exception is Fido2VerificationException or CborContentException or AsnContentException;
}
