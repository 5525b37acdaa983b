using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.WebAuthn;

/// <summary>A finished login: whose, and the session it opened.</summary>
public sealed record LoggedIn(UserRecord User, CreatedSession Session);

/// <summary>
/// Logs in with an enrolled key: the assertion is verified against the stored public key, then the sign counter
/// must move forward (a counter that does not means a cloned key, which is then locked), then a session starts.
/// </summary>
public sealed class LoginService(
    IFido2 fido2, CeremonyStore ceremonies, CeremonyFailures failures, VouchDbContextFactory factory,
    LoginTransaction transaction, CredentialService credentials)
{
    /// <summary>
    /// Starts a login. The options never list credentials: enrolled keys hold resident credentials and find their
    /// own, and listing them for an email would tell anyone who asks whether that email is enrolled.
    /// </summary>
    public async Task<Outcome<CeremonyOptionsResponse>> BeginAsync(CancellationToken cancellationToken)
    {
        var json = fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [],
            UserVerification = UserVerificationRequirement.Required,
        }).ToJson();
        var ceremony = await ceremonies.StartAsync(CeremonyKinds.Login, json, null, cancellationToken);
        return new CeremonyOptionsResponse(ceremony, JsonDocument.Parse(json).RootElement.Clone());
    }

    /// <summary>Finishes a login of the JSON API (the CLI): a session whose bearer token the answer carries.</summary>
    public async Task<Outcome<LoginResponse>> FinishForCliAsync(LoginRequest request, string? client, CancellationToken cancellationToken)
    {
        var login = await FinishAsync(request, SessionKinds.Cli, client, cancellationToken);
        return login.Succeeded
            ? new LoginResponse(login.Value.Session.Token, login.Value.User.Email, login.Value.Session.ExpiresAt)
            : login.Problem;
    }

    /// <summary>Finishes a login in the browser: the user and the browser session, which the page puts in a cookie.</summary>
    public Task<Outcome<LoggedIn>> FinishForBrowserAsync(LoginRequest request, string? client, CancellationToken cancellationToken) =>
        FinishAsync(request, SessionKinds.Browser, client, cancellationToken);

    /// <summary>
    /// Finishes a login for a session of <paramref name="kind"/> (one of <see cref="SessionKinds"/>): the same checks
    /// whoever holds the session, so a key is the same thing to the browser and to the CLI.
    /// </summary>
    private async Task<Outcome<LoggedIn>> FinishAsync(LoginRequest request, string kind, string? client, CancellationToken cancellationToken)
    {
        var ceremony = await ceremonies.ConsumeAsync(request.Ceremony, CeremonyKinds.Login, cancellationToken);
        if (!ceremony.Succeeded) return ceremony.Problem;

        var response = ParseAssertion(request.Assertion, out var malformed);
        if (response is null)
            return await failures.RefuseAsync(AuditEventTypes.LoginFailed, null, client, malformed!, cancellationToken);

        KeyAndUser? found;
        await using (var db = factory.CreateDbContext())
            found = await FindKey.For(db)(db, response.RawId, cancellationToken);
        if (found is null)
            return await failures.RefuseAsync(AuditEventTypes.LoginFailed, null, client, "unknown credential", cancellationToken);
        var (stored, user) = found;

        VerifyAssertionResult result;
        try
        {
            // The counter is checked below, once the signature is known good, so that a regression is told apart
            // from a forgery and audited as a cloned key.
            result = await VerifyAsync(response, ceremony.Value.Options, stored.PublicKey, stored.UserId, cancellationToken);
        }
        catch (Exception e) when (ClientResponses.DidNotVerify(e))
        {
            return await failures.RefuseAsync(AuditEventTypes.LoginFailed, user.Email, client, e.Message, cancellationToken);
        }

        // Verified first, so that the audit trail tells a revoked key's holder from someone replaying its id.
        if (stored.RevokedAt is not null)
            return await failures.RefuseAsync(AuditEventTypes.LoginFailed, user.Email, client, "credential revoked", cancellationToken);

        // Locked by an earlier regression: whatever counter it shows now, the copy and the original look alike.
        if (stored.LockedAt is not null)
            return await failures.RefuseAsync(AuditEventTypes.LoginFailed, user.Email, client, Problems.CredentialLocked, cancellationToken);

        // A counter that does not move forward means a second key holds this credential's private key: the key is
        // locked until an administrator looks (the audit record has both counters).
        if ((result.SignCount != 0 || stored.SignCount != 0) && result.SignCount <= stored.SignCount)
        {
            await credentials.LockAsync(stored.Id, user.Email, stored.SignCount, result.SignCount, client, cancellationToken);
            return failures.Logged(AuditEventTypes.CloneSuspected, user.Email,
                Problems.CredentialLocked with { Reason = $"sign counter went from {stored.SignCount} to {result.SignCount}; credential locked" });
        }

        // The key is good and its holder verified: a disabled user may know why they cannot log in.
        if (user.DisabledAt is not null)
            return await failures.RefuseAsync(AuditEventTypes.LoginFailed, user.Email, client, Problems.UserDisabled, cancellationToken);

        // The counter moves and the session starts in one transaction, unless the key changed since it was read
        // above (another login moved its counter, or it was revoked or locked).
        var session = await transaction.CommitAsync(user, stored, result.SignCount, kind, client, cancellationToken);
        if (!session.Succeeded)
            return await failures.RefuseAsync(AuditEventTypes.LoginFailed, user.Email, client, session.Problem, cancellationToken);
        return new LoggedIn(user, session.Value);
    }

    private sealed record KeyAndUser(CredentialRecord Key, UserRecord User);

    /// <summary>The presented key and its user in one query, compiled: every login makes it.</summary>
    private static readonly ProviderCompiled<Func<VouchDbContext, byte[], CancellationToken, Task<KeyAndUser?>>> FindKey = new(() =>
        EF.CompileAsyncQuery((VouchDbContext db, byte[] id, CancellationToken _) => db.Credentials.AsNoTracking()
            .Where(c => c.Id == id)
            .Join(db.Users.AsNoTracking(), c => c.UserId, u => u.Id, (c, u) => new KeyAndUser(c, u))
            .SingleOrDefault()));

    /// <summary>
    /// Reads the client's assertion; null with the reason when it is malformed (a missing part, or authenticator
    /// data that is not well-formed CBOR).
    /// </summary>
    internal static AuthenticatorAssertionRawResponse? ParseAssertion(JsonElement assertion, out string? malformed) =>
        ClientResponses.Parse<AuthenticatorAssertionRawResponse>(assertion,
            r => r.RawId is { Length: > 0 } && r.Response is { AuthenticatorData: not null, Signature: not null, ClientDataJson: not null },
            r => WellFormedCbor.AuthenticatorData(r.Response.AuthenticatorData), out malformed);

    /// <summary>
    /// The assertion check: the challenge, origin, RP ID, user presence and verification of <paramref name="options"/>
    /// (the ceremony's stored options), and the signature under <paramref name="publicKey"/>. The sign counter is
    /// not compared here (the caller does, once the signature is known good). Throws what
    /// <see cref="ClientResponses.DidNotVerify"/> recognizes when the assertion does not verify.
    /// </summary>
    internal Task<VerifyAssertionResult> VerifyAsync(
        AuthenticatorAssertionRawResponse response, string options, byte[] publicKey, Guid userId, CancellationToken cancellationToken) =>
        fido2.MakeAssertionAsync(new MakeAssertionParams
        {
            AssertionResponse = response,
            OriginalOptions = AssertionOptions.FromJson(options),
            StoredPublicKey = publicKey,
            StoredSignatureCounter = 0,
            IsUserHandleOwnerOfCredentialIdCallback = (args, _) => Task.FromResult(
                args.UserHandle is null || args.UserHandle.AsSpan().SequenceEqual(userId.ToByteArray())),
        }, cancellationToken);
}
