namespace Vouch.Server.Audit;

/// <summary>
/// The newest audit record is unkeyed (plain SHA-256, no key-encryption key id): written by a version from before
/// keying, or forged by someone with write access to the database. Nothing is appended onto it until an operator
/// has checked those records and sealed them with <c>vouch-server audit seal --expect-unkeyed-head SEQ:HASH</c>.
/// </summary>
public sealed class UnkeyedAuditHeadException(long sequence, string hash) : InvalidOperationException(
    $"the audit log ends in unkeyed records (head {sequence}:{hash}): written before the log was keyed, or forged by " +
    "someone with access to the database. Check them against a head you kept, then seal them once with " +
    $"'vouch-server audit seal --expect-unkeyed-head {sequence}:{hash}' (docs/audit.md); nothing was written")
{
    public AuditHead Head { get; } = new(sequence, hash);
}
