using System.Buffers.Binary;
using System.Formats.Cbor;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Checks the shape of the CBOR a client sends before anything reads it: one item with nothing after it, definite
/// lengths only, no duplicate keys, text keys where WebAuthn names its fields, at most 16 levels deep. Genuine
/// authenticators write exactly this (CTAP2's encoding), so it refuses nothing real; what it refuses is where two
/// readers (Fido2's and the server's own <see cref="AttestationCertificates"/>) could read one input two ways.
/// Each check returns null for good input, else the reason.
/// </summary>
internal static class WellFormedCbor
{
    /// <summary>As deep as Fido2's reader goes.</summary>
    private const int MaxDepth = 16;

    private const int HeaderLength = 37;
    private const byte AttestedCredentialData = 0x40;
    private const byte ExtensionData = 0x80;

    /// <summary>An attestation object: a map of text keys (<c>fmt</c>, <c>attStmt</c>, <c>authData</c>) whose <c>attStmt</c> is a map of text keys.</summary>
    public static string? AttestationObject(byte[] attestationObject) => Check(attestationObject, "attestation object", reader =>
    {
        byte[]? authData = null;
        TextKeyedMap(reader, 0, (key, value) =>
        {
            switch (key)
            {
                case "attStmt":
                    TextKeyedMap(value, 1, (_, inner) => Item(inner, 2));
                    break;
                case "authData" when value.PeekState() == CborReaderState.ByteString:
                    authData = value.ReadByteString();
                    break;
                default:
                    Item(value, 1);
                    break;
            }
        });
        return authData is null ? null : AuthenticatorData(authData);
    });

    /// <summary>
    /// Authenticator data: the 37-byte header, then (when its flags say so) the attested credential data with its
    /// COSE key and the extensions, a map of text keys; nothing after them.
    /// </summary>
    public static string? AuthenticatorData(byte[] authData)
    {
        if (authData.Length < HeaderLength) return null; // Fido2 refuses it with its own reason.
        var flags = authData[32];
        var rest = authData.AsMemory(HeaderLength);
        if ((flags & AttestedCredentialData) != 0)
        {
            if (rest.Length < 18) return null;
            var idLength = BinaryPrimitives.ReadUInt16BigEndian(rest.Span[16..]);
            if (rest.Length < 18 + idLength) return null;
            rest = rest[(18 + idLength)..];
            var key = new CborReader(rest, CborConformanceMode.Strict);
            if (Check(key, "credential public key", reader => { Item(reader, 0); return null; }) is { } bad) return bad;
            rest = rest[(rest.Length - key.BytesRemaining)..];
        }
        if ((flags & ExtensionData) != 0)
        {
            var extensions = new CborReader(rest, CborConformanceMode.Strict);
            if (Check(extensions, "extensions", reader => { TextKeyedMap(reader, 0, (_, value) => Item(value, 1)); return null; }) is { } bad) return bad;
            rest = rest[(rest.Length - extensions.BytesRemaining)..];
        }
        return rest.IsEmpty ? null : "authenticator data: bytes after its last part";
    }

    private static string? Check(byte[] data, string what, Func<CborReader, string?> read)
    {
        var reader = new CborReader(data, CborConformanceMode.Strict);
        return Check(reader, what, read) ?? (reader.BytesRemaining == 0 ? null : $"{what}: bytes after its end");
    }

    private static string? Check(CborReader reader, string what, Func<CborReader, string?> read)
    {
        try
        {
            return read(reader);
        }
        // The reader throws InvalidOperationException when the next item is not of the type asked for.
        catch (Exception e) when (e is CborContentException or InvalidOperationException)
        {
            return $"{what}: {e.Message}";
        }
    }

    private static void TextKeyedMap(CborReader reader, int depth, Action<string, CborReader> value)
    {
        if (depth > MaxDepth) throw new CborContentException($"nested more than {MaxDepth} levels deep");
        if (reader.PeekState() != CborReaderState.StartMap) throw new CborContentException("not a map");
        var entries = reader.ReadStartMap() ?? throw new CborContentException("a map of indefinite length");
        for (var i = 0; i < entries; i++)
        {
            if (reader.PeekState() != CborReaderState.TextString) throw new CborContentException("a map key that is not a text string");
            value(reader.ReadTextString(), reader);
        }
        reader.ReadEndMap();
    }

    /// <summary>Reads past one item of any type, refusing indefinite lengths and nesting deeper than <see cref="MaxDepth"/>.</summary>
    private static void Item(CborReader reader, int depth)
    {
        if (depth > MaxDepth) throw new CborContentException($"nested more than {MaxDepth} levels deep");
        switch (reader.PeekState())
        {
            case CborReaderState.StartArray:
                var items = reader.ReadStartArray() ?? throw new CborContentException("an array of indefinite length");
                for (var i = 0; i < items; i++) Item(reader, depth + 1);
                reader.ReadEndArray();
                break;
            case CborReaderState.StartMap:
                var entries = reader.ReadStartMap() ?? throw new CborContentException("a map of indefinite length");
                for (var i = 0; i < 2 * entries; i++) Item(reader, depth + 1);
                reader.ReadEndMap();
                break;
            case CborReaderState.StartIndefiniteLengthByteString or CborReaderState.StartIndefiniteLengthTextString:
                throw new CborContentException("a string of indefinite length");
            case CborReaderState.Tag:
                reader.ReadTag();
                Item(reader, depth + 1);
                break;
            default:
                reader.SkipValue();
                break;
        }
    }
}
