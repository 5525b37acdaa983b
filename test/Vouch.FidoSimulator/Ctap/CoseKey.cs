using System.Formats.Cbor;
using System.Security.Cryptography;

namespace Vouch.FidoSimulator.Ctap;

/// <summary>EC2 P-256 public keys as COSE_Key maps (RFC 9052): kty 2, alg, crv 1, x, y.</summary>
public static class CoseKey
{
    public const int Es256 = -7;

    /// <summary>ECDH-ES+HKDF-256: the algorithm a PIN protocol's key agreement key is labelled with.</summary>
    public const int EcdhEsHkdf256 = -25;

    public static void Write(CborWriter writer, ECParameters key, int algorithm)
    {
        writer.WriteStartMap(5);
        writer.WriteInt32(1);
        writer.WriteInt32(2);
        writer.WriteInt32(3);
        writer.WriteInt32(algorithm);
        writer.WriteInt32(-1);
        writer.WriteInt32(1);
        writer.WriteInt32(-2);
        writer.WriteByteString(key.Q.X!);
        writer.WriteInt32(-3);
        writer.WriteByteString(key.Q.Y!);
        writer.WriteEndMap();
    }

    public static byte[] Encode(ECParameters key, int algorithm)
    {
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        Write(writer, key, algorithm);
        return writer.Encode();
    }

    /// <summary>The P-256 public key in a COSE_Key map, or <see langword="null"/> when it is not one.</summary>
    public static ECParameters? Read(CborMap<int> map)
    {
        if (map.Number(1) != 2 || map.Number(-1) != 1 || map.Bytes(-2) is not { Length: 32 } x || map.Bytes(-3) is not { Length: 32 } y)
            return null;
        return new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } };
    }
}
