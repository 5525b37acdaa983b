using System.Formats.Cbor;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.WebAuthn;

/// <summary>Reads the <c>x5c</c> certificates out of a CBOR attestation object (empty for self or none attestation).</summary>
internal static class AttestationCertificates
{
    public static IReadOnlyList<X509Certificate2> FromAttestationObject(byte[]? attestationObject)
    {
        var certificates = new List<X509Certificate2>();
        if (attestationObject is null) return certificates;
        try
        {
            var reader = new CborReader(attestationObject, CborConformanceMode.Lax);
            var entries = reader.ReadStartMap() ?? 0;
            for (var i = 0; i < entries; i++)
            {
                var key = reader.ReadTextString();
                if (key != "attStmt")
                {
                    reader.SkipValue();
                    continue;
                }
                var statementEntries = reader.ReadStartMap() ?? 0;
                for (var j = 0; j < statementEntries; j++)
                {
                    if (reader.ReadTextString() != "x5c")
                    {
                        reader.SkipValue();
                        continue;
                    }
                    var count = reader.ReadStartArray() ?? 0;
                    for (var k = 0; k < count; k++) certificates.Add(X509CertificateLoader.LoadCertificate(reader.ReadByteString()));
                    reader.ReadEndArray();
                }
                reader.ReadEndMap();
            }
        }
        catch (CborContentException)
        {
            certificates.Clear();
        }
        return certificates;
    }
}
