using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.Server.Audit;

/// <summary>
/// The hash that chains audit records: lowercase hex SHA-256 over the fields
/// <c>"vouch-audit-v1", sequence, time in Unix milliseconds, type, actor, client address or "", data, previous hash</c>,
/// each written as its UTF-8 byte length in decimal, a colon, then its UTF-8 bytes. Length prefixes make the
/// encoding unambiguous and easy to reproduce; docs/audit.md shows how without Vouch.
/// </summary>
public static class AuditHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private const string Version = "vouch-audit-v1";

    public static string Compute(long sequence, DateTimeOffset time, string type, string actor, string? clientAddress, string data, string previousHash)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var field in (ReadOnlySpan<string>)[
                     Version,
                     sequence.ToString(CultureInfo.InvariantCulture),
                     time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                     type, actor, clientAddress ?? "", data, previousHash])
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            hash.AppendData(Encoding.ASCII.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + ":"));
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static string Compute(AuditRecord r) =>
        Compute(r.Sequence, r.Time, r.Type, r.Actor, r.ClientAddress, r.Data, r.PreviousHash);
}
