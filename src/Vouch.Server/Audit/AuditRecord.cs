namespace Vouch.Server.Audit;

/// <summary>
/// One stored audit event. Records are only ever appended; each carries the hash of the one before it
/// (<see cref="PreviousHash"/>), so removing or altering a record breaks the chain.
/// </summary>
public sealed class AuditRecord
{
    /// <summary>1, 2, 3... with no gaps; unique, so concurrent writers cannot both take the same place.</summary>
    public required long Sequence { get; init; }

    /// <summary>When the event happened, in whole milliseconds (UTC).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>What happened, as a stable dotted name such as <c>key.created</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Who did it: <c>system</c>, <c>admin:&lt;os user&gt;</c>, or later <c>user:&lt;email&gt;</c>.</summary>
    public required string Actor { get; init; }

    public string? ClientAddress { get; init; }

    /// <summary>The event's details as a JSON object with sorted keys and string values.</summary>
    public required string Data { get; init; }

    /// <summary>The previous record's <see cref="Hash"/>, 64 zeros for the first.</summary>
    public required string PreviousHash { get; init; }

    /// <summary>
    /// The id of the key-encryption key whose <see cref="AuditKey"/> computed <see cref="Hash"/> (HMAC-SHA256); null
    /// for records written before the chain was keyed, whose hash is plain SHA-256.
    /// </summary>
    public string? KeyEncryptionKeyId { get; init; }

    /// <summary>Lowercase hex HMAC-SHA256 (or, unkeyed, SHA-256) of this record (see <see cref="AuditHash"/>).</summary>
    public required string Hash { get; init; }
}
