using Microsoft.Extensions.Logging;
using Vouch.Protocol;
using Vouch.Server.Audit;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Records why a ceremony was refused (log and audit trail) and answers the client the same
/// <c>webauthn_failed</c> whatever the reason, so that a refusal teaches an attacker nothing.
/// </summary>
public sealed partial class CeremonyFailures(AuditLog audit, ILogger<CeremonyFailures> logger)
{
    /// <summary>The longest reason kept in the audit trail.</summary>
    private const int MaxReasonLength = 200;

    public Task<Problem> RefuseAsync(string type, string? email, string? client, string reason, CancellationToken cancellationToken) =>
        RefuseAsync(type, email, client, new Problem(ErrorCodes.WebAuthnFailed, "the security key's response was not accepted") { Reason = reason }, cancellationToken);

    /// <summary>Records <paramref name="problem"/>'s reason (or code) and answers the problem itself: a refusal the client may know the cause of.</summary>
    public async Task<Problem> RefuseAsync(string type, string? email, string? client, Problem problem, CancellationToken cancellationToken)
    {
        var reason = problem.Reason ?? problem.Code;
        Logged(type, email, problem);
        await AuditAsync(type, email, client, cancellationToken, ("reason", reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason));
        return problem;
    }

    /// <summary>Logs the refusal <paramref name="problem"/>, whose audit record the caller wrote with its own change, and answers it.</summary>
    public Problem Logged(string type, string? email, Problem problem)
    {
        // The reason may quote the client (Fido2 names the origin it was sent): escaped, it stays on its one line.
        Log.CeremonyRefused(logger, type, email is null ? "(unknown)" : LogText.Escape(email), LogText.Escape(problem.Reason ?? problem.Code));
        return problem;
    }

    public Task AuditAsync(string type, string? email, string? client, CancellationToken cancellationToken, params (string Key, string Value)[] data) =>
        audit.WriteAsync(cancellationToken, new AuditEntry
        {
            Type = type, Actor = email is null ? AuditActors.Anonymous : AuditActors.User(email), ClientAddress = client,
            Data = data.ToDictionary(d => d.Key, d => d.Value),
        });

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "{EventType} for {Email}: {Reason}")]
        public static partial void CeremonyRefused(ILogger logger, string eventType, string email, string reason);
    }
}
