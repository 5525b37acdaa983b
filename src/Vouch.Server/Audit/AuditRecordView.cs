namespace Vouch.Server.Audit;

/// <summary>
/// One audit record as <c>vouch-server audit --json</c> prints it (one JSON object per line). <c>data</c> is the
/// stored JSON text verbatim, so that anyone holding the key-encryption key can recompute the hash from this
/// output alone. <c>kek_id</c> is null for records written before the chain was keyed.
/// </summary>
internal sealed record AuditRecordView(
    long Sequence, DateTimeOffset Time, long TimeUnixMs, string Type, string Actor, string? ClientAddress,
    string Data, string PreviousHash, string? KekId, string Hash)
{
    public static AuditRecordView From(AuditRecord r) =>
        new(r.Sequence, r.Time, r.Time.ToUnixTimeMilliseconds(), r.Type, r.Actor, r.ClientAddress, r.Data, r.PreviousHash, r.KeyEncryptionKeyId, r.Hash);
}
