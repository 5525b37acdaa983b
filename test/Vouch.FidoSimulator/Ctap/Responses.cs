using System.Formats.Cbor;

namespace Vouch.FidoSimulator.Ctap;

/// <summary>CTAP2 responses: a status byte, then for OK a CTAP2-canonical CBOR map (keys sorted by the writer).</summary>
internal static class Responses
{
    public static byte[] Status(CtapStatus status) => [(byte)status];

    public static byte[] Ok(Action<CborWriter> writeMap)
    {
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical, convertIndefiniteLengthEncodings: true);
        writeMap(writer);
        return [(byte)CtapStatus.Ok, .. writer.Encode()];
    }
}
