using Microsoft.AspNetCore.Http;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.Web.Admin;

/// <summary>The administrator acting in the browser, as the audit log names them: <c>admin:EMAIL</c>.</summary>
public sealed record Administrator(string Email)
{
    public string Actor => AuditActors.Administrator(Email);

    /// <summary>The administrator of this request's browser session (the policy has checked them).</summary>
    public static Administrator Of(HttpContext context) =>
        new(context.BrowserSession()?.User.Email ?? throw new InvalidOperationException("an /admin page ran without a browser session"));
}

/// <summary>A new invite as the console shows it once: the link that carries its code, and the invite.</summary>
public sealed record ConsoleInvite(string Link, CreatedInvite Created);

/// <summary>A signing key as the console shows it: public facts only (never its sealed private key).</summary>
public sealed record SigningKeyView(string Kid, int Generation, KeyStatus Status, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiredAt);

/// <summary>
/// What the <c>/admin</c> pages do, as the administrator: each action is the same service call as the matching
/// <c>vouch-server</c> command (users, invites, keys, sessions), audited with <see cref="Administrator.Actor"/>.
/// Reading needs nothing more than the pages' authorization.
/// </summary>
public sealed class AdminConsole(
    UserService users, InviteService invites, CredentialService credentials, SessionService sessions,
    AuditQuery audit, SigningKeyReader signingKeys, OidcOptions oidc, TimeProvider time)
{
    /// <summary>How long an invite made in the console stays valid (the command's default, 72 hours).</summary>
    public static TimeSpan InviteLifetime => InviteService.DefaultLifetime;

    public Task<IReadOnlyList<UserSummary>> UsersAsync(CancellationToken cancellationToken) => users.ListAsync(cancellationToken);

    /// <summary>Disables the user: every live session of theirs, browser and CLI, ends with it.</summary>
    public Task<Outcome<UserStateChange>> DisableAsync(Administrator admin, EmailAddress email, CancellationToken cancellationToken) =>
        users.DisableAsync(email, admin.Actor, cancellationToken);

    public Task<Outcome<UserStateChange>> EnableAsync(Administrator admin, EmailAddress email, CancellationToken cancellationToken) =>
        users.EnableAsync(email, admin.Actor, cancellationToken);

    public Task<Outcome<UserStateChange>> PromoteAsync(Administrator admin, EmailAddress email, CancellationToken cancellationToken) =>
        users.PromoteAsync(email, admin.Actor, cancellationToken);

    public Task<Outcome<UserStateChange>> DemoteAsync(Administrator admin, EmailAddress email, CancellationToken cancellationToken) =>
        users.DemoteAsync(email, admin.Actor, cancellationToken);

    public Task<IReadOnlyList<InviteSummary>> InvitesAsync(CancellationToken cancellationToken) => invites.ListAsync(cancellationToken);

    /// <summary>An invite for <paramref name="email"/> in its own domain, and its enroll link (shown once: only its hash is kept).</summary>
    public async Task<ConsoleInvite> InviteAsync(Administrator admin, EmailAddress email, CancellationToken cancellationToken)
    {
        var created = await invites.CreateAsync(email, email.Domain, InviteLifetime, admin.Actor, cancellationToken);
        return new ConsoleInvite(InviteService.EnrollLink(oidc.Issuer, created.Code), created);
    }

    public Task<Outcome<InviteRevocation>> RevokeInviteAsync(Administrator admin, Guid id, CancellationToken cancellationToken) =>
        invites.RevokeAsync(id, admin.Actor, cancellationToken);

    public async Task<IReadOnlyList<CredentialSummary>> KeysAsync(CancellationToken cancellationToken) =>
        (await credentials.ListAsync(null, cancellationToken)).Value!;

    /// <summary>Revokes the security key <paramref name="id"/> (lowercase hex) and the sessions it opened.</summary>
    public Task<Outcome<CredentialRevocation>> RevokeKeyAsync(Administrator admin, string id, CancellationToken cancellationToken) =>
        credentials.RevokeAsync(id, admin.Actor, cancellationToken);

    public Task<IReadOnlyList<LiveSession>> SessionsAsync(CancellationToken cancellationToken) => sessions.ListAllLiveAsync(cancellationToken);

    /// <summary>Revokes one session; the answer says whether it was still live.</summary>
    public async Task<Outcome<int>> RevokeSessionAsync(Administrator admin, Guid id, CancellationToken cancellationToken)
    {
        var revoked = await sessions.RevokeAsync(id, null, admin.Actor, cancellationToken);
        return revoked == 0 ? new Problem(ErrorCodes.NotFound, $"no live session {id}", StatusCodes.Status404NotFound) : revoked;
    }

    public Task<AuditPage> AuditAsync(AuditFilter filter, CancellationToken cancellationToken) => audit.FindAsync(filter, cancellationToken);

    /// <summary>The signing keys, next first, then current, then retired (newest first), with their dates.</summary>
    public async Task<IReadOnlyList<SigningKeyView>> SigningKeysAsync(CancellationToken cancellationToken)
    {
        var records = await signingKeys.LoadAsync(cancellationToken);
        var schedule = new KeySchedule<SigningKeyRecord>(records);
        var now = time.GetUtcNow();
        return schedule.Keys
            .Select(k => new SigningKeyView(k.Kid, k.Generation, schedule.StatusAt(k, now), k.CreatedAt, k.ActivatesAt, schedule.RetiredAt(k)))
            .OrderByDescending(k => k.ActivatesAt).ThenByDescending(k => k.Generation)
            .ToList();
    }
}
