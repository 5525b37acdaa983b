using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Reads the <c>x5c</c> certificates out of a CBOR attestation object: empty for self or none attestation, and for
/// an object that is not well formed (<see cref="WellFormedCbor"/>) or whose <c>x5c</c> is not an array of
/// certificates, so that a crafted object is refused by the attestation policy rather than failing the request.
/// </summary>
internal static class AttestationCertificates
{
    public static IReadOnlyList<X509Certificate2> FromAttestationObject(byte[]? attestationObject)
    {
        if (attestationObject is null || WellFormedCbor.AttestationObject(attestationObject) is not null) return [];
        // Well formed: definite-length maps with text keys, so the reads below cannot meet another type of key.
        var reader = new CborReader(attestationObject, CborConformanceMode.Strict);
        var entries = reader.ReadStartMap()!.Value;
        for (var i = 0; i < entries; i++)
        {
            if (reader.ReadTextString() != "attStmt")
            {
                reader.SkipValue();
                continue;
            }
            var statementEntries = reader.ReadStartMap()!.Value;
            for (var j = 0; j < statementEntries; j++)
            {
                if (reader.ReadTextString() == "x5c") return Chain(reader);
                reader.SkipValue();
            }
            return [];
        }
        return [];
    }

    private static List<X509Certificate2> Chain(CborReader reader)
    {
        if (reader.PeekState() != CborReaderState.StartArray) return [];
        var count = reader.ReadStartArray()!.Value;
        var certificates = new List<X509Certificate2>(count);
        for (var k = 0; k < count; k++)
        {
            if (reader.PeekState() != CborReaderState.ByteString) return [];
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(reader.ReadByteString()));
            }
            catch (CryptographicException)
            {
                return [];
            }
        }
        return certificates;
    }
}
