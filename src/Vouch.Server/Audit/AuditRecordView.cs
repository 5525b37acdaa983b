using System.Text.Json;

namespace Vouch.Server.Audit;

/// <summary>One audit record as <c>vouch-server audit --json</c> prints it (one JSON object per line).</summary>
internal sealed record AuditRecordView(
    long Sequence, DateTimeOffset Time, string Type, string Actor, string? ClientAddress,
    JsonElement Data, string PreviousHash, string Hash)
{
    public static AuditRecordView From(AuditRecord r) =>
        new(r.Sequence, r.Time, r.Type, r.Actor, r.ClientAddress, JsonDocument.Parse(r.Data).RootElement.Clone(), r.PreviousHash, r.Hash);
}
