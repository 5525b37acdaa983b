using System.Security.Cryptography;
using System.Text.Json;

namespace Vouch.Server.Audit;

/// <summary>
/// The hash that chains audit records: lowercase hex SHA-256 of the UTF-8 JSON array
/// <c>[sequence, time in Unix milliseconds, type, actor, client address or "", data, previous hash]</c>.
/// docs/audit.md shows how to recompute it without Vouch.
/// </summary>
public static class AuditHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Compute(long sequence, DateTimeOffset time, string type, string actor, string? clientAddress, string data, string previousHash)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteNumberValue(sequence);
            json.WriteNumberValue(time.ToUnixTimeMilliseconds());
            json.WriteStringValue(type);
            json.WriteStringValue(actor);
            json.WriteStringValue(clientAddress ?? "");
            json.WriteStringValue(data);
            json.WriteStringValue(previousHash);
            json.WriteEndArray();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    public static string Compute(AuditRecord r) =>
        Compute(r.Sequence, r.Time, r.Type, r.Actor, r.ClientAddress, r.Data, r.PreviousHash);
}
