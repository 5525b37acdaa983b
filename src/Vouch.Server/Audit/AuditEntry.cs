namespace Vouch.Server.Audit;

/// <summary>An event to record: a stable <see cref="Type"/>, who did it and from where, and string details.</summary>
public sealed record AuditEntry
{
    public required string Type { get; init; }
    public required string Actor { get; init; }
    public string? ClientAddress { get; init; }
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();
}

/// <summary>The stable event types written to the audit log.</summary>
public static class AuditEventTypes
{
    public const string KeyCreated = "key.created";
    public const string KeyRotated = "key.rotated";
    public const string KeyRemoved = "key.removed";
    public const string InviteCreated = "invite.created";
    public const string Enrolled = "enrollment.succeeded";
    public const string EnrollmentFailed = "enrollment.failed";
    public const string LoginSucceeded = "login.succeeded";
    public const string LoginFailed = "login.failed";
    public const string CloneSuspected = "credential.clone_suspected";
    public const string SessionRevoked = "session.revoked";
    public const string TokenIssued = "token.issued";
    public const string TokenRefused = "token.refused";
    public const string UserDisabled = "user.disabled";
    public const string UserEnabled = "user.enabled";
    public const string UserPromoted = "user.promoted";
    public const string UserDemoted = "user.demoted";
    public const string CredentialRevoked = "credential.revoked";
    public const string CredentialUnlocked = "credential.unlocked";
    public const string CredentialRenamed = "credential.renamed";
    public const string InviteRevoked = "invite.revoked";

    /// <summary>The first keyed record after records written before the chain was keyed (see <see cref="AuditLog.SealUnkeyedHeadAsync"/>).</summary>
    public const string AuditKeyed = "audit.keyed";
}

/// <summary>How the audit log names who acted: <c>user:EMAIL</c>, <c>admin:NAME</c> or <c>system</c>.</summary>
public static class AuditActors
{
    public const string System = "system";

    /// <summary>Someone not yet known: a refused ceremony before its key or invite named a user.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>The operating-system user running an admin command.</summary>
    public static string Admin => Administrator(Environment.UserName);

    /// <summary>A user acting for themselves (logging in, enrolling, managing their own keys and sessions).</summary>
    public static string User(string email) => "user:" + email;

    /// <summary>An administrator: an email in the browser's console, an operating-system user on the command line.</summary>
    public static string Administrator(string name) => "admin:" + name;
}
