using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.Server.Audit;

/// <summary>
/// The hash that chains audit records, over the fields
/// <c>version, [key-encryption key id,] sequence, time in Unix milliseconds, type, actor, client address or "", data, previous hash</c>,
/// each written as its UTF-8 byte length in decimal, a colon, then its UTF-8 bytes (length prefixes make the
/// encoding unambiguous and easy to reproduce; docs/audit.md shows how without Vouch). Keyed records
/// (version <c>vouch-audit-v2</c>, with the key-encryption key id) use HMAC-SHA256 with the <see cref="AuditKey"/>;
/// records written before the chain was keyed (<c>vouch-audit-v1</c>, no key id) use plain SHA-256. Lowercase hex.
/// </summary>
public static class AuditHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private const string UnkeyedVersion = "vouch-audit-v1";
    private const string KeyedVersion = "vouch-audit-v2";

    /// <summary>The plain SHA-256 of a record written before the chain was keyed; kept to verify such records.</summary>
    public static string ComputeUnkeyed(long sequence, DateTimeOffset time, string type, string actor, string? clientAddress, string data, string previousHash)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        return Compute(hash, [UnkeyedVersion, .. Fields(sequence, time, type, actor, clientAddress, data, previousHash)]);
    }

    /// <summary>The HMAC-SHA256 that chains a keyed record.</summary>
    public static string ComputeKeyed(AuditKey key, long sequence, DateTimeOffset time, string type, string actor, string? clientAddress, string data, string previousHash)
    {
        // One HMAC call over the encoded fields: every issued token appends a record, and creating an incremental
        // HMAC (a native handle) per record cost more than the hashing.
        var message = new ArrayBufferWriter<byte>(512);
        foreach (var field in (ReadOnlySpan<string>)[KeyedVersion, key.KeyEncryptionKeyId, .. Fields(sequence, time, type, actor, clientAddress, data, previousHash)])
            Encode(message, field);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        key.Hmac(message.WrittenSpan, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Appends <paramref name="field"/> as its UTF-8 byte length in decimal, a colon, then its UTF-8 bytes.</summary>
    private static void Encode(ArrayBufferWriter<byte> message, string field)
    {
        var length = Encoding.UTF8.GetByteCount(field);
        var prefix = message.GetSpan(24);
        length.TryFormat(prefix, out var digits, provider: CultureInfo.InvariantCulture);
        prefix[digits] = (byte)':';
        message.Advance(digits + 1);
        message.Advance(Encoding.UTF8.GetBytes(field, message.GetSpan(length)));
    }

    /// <summary>What <paramref name="r"/>'s hash must be: keyed when it names a key-encryption key, else plain.</summary>
    public static string Compute(AuditRecord r, AuditKey key) => r.KeyEncryptionKeyId is null
        ? ComputeUnkeyed(r.Sequence, r.Time, r.Type, r.Actor, r.ClientAddress, r.Data, r.PreviousHash)
        : ComputeKeyed(key, r.Sequence, r.Time, r.Type, r.Actor, r.ClientAddress, r.Data, r.PreviousHash);

    private static string[] Fields(long sequence, DateTimeOffset time, string type, string actor, string? clientAddress, string data, string previousHash) =>
    [
        sequence.ToString(CultureInfo.InvariantCulture),
        time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        type, actor, clientAddress ?? "", data, previousHash,
    ];

    private static string Compute(IncrementalHash hash, ReadOnlySpan<string> fields)
    {
        foreach (var field in fields)
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            hash.AppendData(Encoding.ASCII.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + ":"));
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
