using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Hosting;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// The WebAuthn ceremonies (Fido2NetLib): enrollment with an invite, and login. Challenges are stored server-side,
/// bound to their ceremony, single use and short-lived. Every verification failure answers the same
/// <c>webauthn_failed</c>; the reason goes to the log and the audit trail.
/// </summary>
public sealed partial class CeremonyService(
    VouchDbContextFactory factory, AuditLog audit, SessionService sessions, ServerSettings settings,
    YubicoAttestation yubico, TimeProvider time, ILogger<CeremonyService> logger)
{
    private readonly Fido2 _fido2 = new(new Fido2Configuration
    {
        RPID = new Uri(settings.Issuer).Host,
        RPName = "Vouch",
        Origins = new HashSet<string>(StringComparer.Ordinal) { new Uri(settings.Issuer).GetLeftPart(UriPartial.Authority) },
        TimestampDriftTolerance = 300_000,
    });

    public async Task<Outcome<CeremonyOptionsResponse>> BeginEnrollmentAsync(string? code, string? client, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var now = StoredTime.Now(time);
        var invite = OpaqueSecret.HasShape(code, InviteService.CodePrefix)
            ? await db.Invites.AsNoTracking().SingleOrDefaultAsync(i => i.CodeHash == OpaqueSecret.Hash(code!), cancellationToken)
            : null;
        if (invite is null || invite.UsedAt is not null || invite.ExpiresAt <= now)
        {
            await AuditFailureAsync(AuditEventTypes.EnrollmentFailed, null, client, cancellationToken,
                ("reason", invite is null ? "unknown invite" : invite.UsedAt is not null ? "invite already used" : "invite expired"));
            return Outcome<CeremonyOptionsResponse>.Refuse(400, ErrorCodes.InvalidInvite, "the invite code is unknown, used or expired");
        }

        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == invite.Email, cancellationToken);
        var userId = user?.Id ?? invite.Id;
        var existing = await db.Credentials.AsNoTracking().Where(c => c.UserId == userId).Select(c => c.Id).ToListAsync(cancellationToken);
        var options = _fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = userId.ToByteArray(), Name = invite.Email, DisplayName = invite.Email },
            ExcludeCredentials = existing.Select(id => new PublicKeyCredentialDescriptor(id)).ToList(),
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
                AuthenticatorAttachment = AuthenticatorAttachment.CrossPlatform,
            },
            AttestationPreference = AttestationConveyancePreference.Direct,
            PubKeyCredParams = [PubKeyCredParam.ES256],
        });
        var json = options.ToJson();
        var ceremony = await StartAsync(db, CeremonyKinds.Enroll, json, invite.Id, now, cancellationToken);
        return Outcome<CeremonyOptionsResponse>.Ok(new CeremonyOptionsResponse(ceremony.ToString(), JsonDocument.Parse(json).RootElement.Clone()));
    }

    public async Task<Outcome<EnrollResponse>> FinishEnrollmentAsync(EnrollRequest request, string? client, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var (ceremony, refusal) = await ConsumeAsync(db, request.Ceremony, CeremonyKinds.Enroll, cancellationToken);
        if (ceremony is null) return Outcome<EnrollResponse>.Refuse(refusal!.Value.Status, refusal.Value.Code, refusal.Value.Description);

        var now = StoredTime.Now(time);
        var invite = await db.Invites.SingleAsync(i => i.Id == ceremony.InviteId, cancellationToken);
        if (invite.UsedAt is not null || invite.ExpiresAt <= now)
            return Outcome<EnrollResponse>.Refuse(400, ErrorCodes.InvalidInvite, "the invite code is unknown, used or expired");

        RegisteredPublicKeyCredential credential;
        try
        {
            var response = request.Credential.Deserialize<AuthenticatorAttestationRawResponse>()
                ?? throw new Fido2VerificationException("empty credential");
            credential = await _fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = CredentialCreateOptions.FromJson(ceremony.Options),
                IsCredentialIdUniqueToUserCallback = async (args, ct) => !await db.Credentials.AnyAsync(c => c.Id == args.CredentialId, ct),
            }, cancellationToken);
        }
        catch (Exception e) when (e is Fido2VerificationException or JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            return await RefuseAsync<EnrollResponse>(AuditEventTypes.EnrollmentFailed, invite.Email, client, e.Message, cancellationToken);
        }

        if (settings.Attestation == AttestationPolicy.Yubikey && !yubico.IsGenuine(credential))
        {
            await AuditFailureAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, cancellationToken,
                ("reason", "attestation is not from a YubiKey"), ("aaguid", credential.AaGuid.ToString()));
            return Outcome<EnrollResponse>.Refuse(400, ErrorCodes.AttestationRefused,
                "this server accepts only YubiKeys (attestation chaining to Yubico's root)");
        }

        var enrolled = await Conflicts.InTransactionAsync(factory, async write =>
        {
            var claimed = await write.Invites
                .Where(i => i.Id == invite.Id && i.UsedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedAt, now), cancellationToken);
            // A concurrent enrollment used the invite first: this one must not land.
            if (claimed != 1) return false;
            var user = await write.Users.SingleOrDefaultAsync(u => u.Email == invite.Email, cancellationToken);
            if (user is null)
            {
                user = new UserRecord { Id = invite.Id, Email = invite.Email, Domain = invite.Domain, CreatedAt = now };
                write.Users.Add(user);
            }
            write.Credentials.Add(new CredentialRecord
            {
                Id = credential.Id,
                UserId = user.Id,
                PublicKey = credential.PublicKey,
                SignCount = credential.SignCount,
                AaGuid = credential.AaGuid,
                AttestationFormat = credential.AttestationFormat ?? "none",
                CreatedAt = now,
            });
            await audit.AppendAsync(write, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.Enrolled, Actor = "user:" + invite.Email, ClientAddress = client,
                Data = new Dictionary<string, string>
                {
                    ["invite_id"] = invite.Id.ToString(),
                    ["credential_id"] = Convert.ToHexStringLower(credential.Id.AsSpan(0, Math.Min(16, credential.Id.Length))),
                    ["aaguid"] = credential.AaGuid.ToString(),
                },
            });
            return true;
        }, cancellationToken);
        return enrolled
            ? Outcome<EnrollResponse>.Ok(new EnrollResponse(invite.Email))
            : Outcome<EnrollResponse>.Refuse(400, ErrorCodes.InvalidInvite, "the invite code is unknown, used or expired");
    }

    /// <summary>
    /// Starts a login. The options never list credentials: enrolled keys hold resident credentials and find their
    /// own, and listing them for an email would tell anyone who asks whether that email is enrolled.
    /// </summary>
    public async Task<Outcome<CeremonyOptionsResponse>> BeginLoginAsync(CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var options = _fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [],
            UserVerification = UserVerificationRequirement.Required,
        });
        var json = options.ToJson();
        var ceremony = await StartAsync(db, CeremonyKinds.Login, json, null, StoredTime.Now(time), cancellationToken);
        return Outcome<CeremonyOptionsResponse>.Ok(new CeremonyOptionsResponse(ceremony.ToString(), JsonDocument.Parse(json).RootElement.Clone()));
    }

    public async Task<Outcome<LoginResponse>> FinishLoginAsync(LoginRequest request, string? client, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var (ceremony, refusal) = await ConsumeAsync(db, request.Ceremony, CeremonyKinds.Login, cancellationToken);
        if (ceremony is null) return Outcome<LoginResponse>.Refuse(refusal!.Value.Status, refusal.Value.Code, refusal.Value.Description);

        AuthenticatorAssertionRawResponse response;
        try
        {
            response = request.Assertion.Deserialize<AuthenticatorAssertionRawResponse>() ?? throw new JsonException("empty assertion");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            return await RefuseAsync<LoginResponse>(AuditEventTypes.LoginFailed, null, client, "malformed assertion: " + e.Message, cancellationToken);
        }
        var credentialId = response.RawId;
        var stored = credentialId is null ? null : await db.Credentials.SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken);
        var user = stored is null ? null : await db.Users.AsNoTracking().SingleAsync(u => u.Id == stored.UserId, cancellationToken);
        if (stored is null || user is null)
            return await RefuseAsync<LoginResponse>(AuditEventTypes.LoginFailed, null, client, "unknown credential", cancellationToken);

        VerifyAssertionResult result;
        try
        {
            result = await _fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = response,
                OriginalOptions = AssertionOptions.FromJson(ceremony.Options),
                StoredPublicKey = stored.PublicKey,
                // The counter is checked below, once the signature is known good, so that a regression is told
                // apart from a forgery and audited as a cloned key.
                StoredSignatureCounter = 0,
                IsUserHandleOwnerOfCredentialIdCallback = (args, _) => Task.FromResult(
                    args.UserHandle is null || args.UserHandle.AsSpan().SequenceEqual(stored.UserId.ToByteArray())),
            }, cancellationToken);
        }
        catch (Exception e) when (e is Fido2VerificationException or ArgumentException or FormatException or InvalidOperationException)
        {
            return await RefuseAsync<LoginResponse>(AuditEventTypes.LoginFailed, user.Email, client, e.Message, cancellationToken);
        }

        // A counter that does not move forward means a second key holds this credential's private key.
        if ((result.SignCount != 0 || stored.SignCount != 0) && result.SignCount <= stored.SignCount)
        {
            return await RefuseAsync<LoginResponse>(AuditEventTypes.CloneSuspected, user.Email, client,
                $"sign counter went from {stored.SignCount} to {result.SignCount}", cancellationToken);
        }

        stored.SignCount = result.SignCount;
        stored.LastUsedAt = StoredTime.Now(time);
        stored.Version = Guid.NewGuid();
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another login with this key landed first: this assertion's counter is now stale.
            return await RefuseAsync<LoginResponse>(AuditEventTypes.LoginFailed, user.Email, client, "concurrent use of the credential", cancellationToken);
        }
        var session = await sessions.CreateAsync(user, stored.Id, client, cancellationToken);
        return Outcome<LoginResponse>.Ok(new LoginResponse(session.Token, user.Email, session.ExpiresAt));
    }

    private static async Task<Guid> StartAsync(VouchDbContext db, string kind, string options, Guid? inviteId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ceremony = new CeremonyRecord
        {
            Id = Guid.NewGuid(), Kind = kind, Options = options, InviteId = inviteId,
            CreatedAt = now, ExpiresAt = now + CeremonyKinds.Lifetime,
        };
        db.Ceremonies.Add(ceremony);
        await db.SaveChangesAsync(cancellationToken);
        // Old ceremonies are useless once expired; a little cleanup on every start keeps the table small.
        await db.Ceremonies.Where(c => c.ExpiresAt < now - CeremonyKinds.Lifetime).ExecuteDeleteAsync(cancellationToken);
        return ceremony.Id;
    }

    /// <summary>Marks the ceremony used, atomically: of two attempts with the same ceremony only one gets it.</summary>
    private async Task<(CeremonyRecord? Ceremony, (int Status, string Code, string Description)? Refusal)> ConsumeAsync(
        VouchDbContext db, string ceremonyId, string kind, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        if (!Guid.TryParse(ceremonyId, out var id))
            return (null, (400, ErrorCodes.InvalidCeremony, "unknown or already used ceremony; start again"));
        var ceremony = await db.Ceremonies.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id && c.Kind == kind, cancellationToken);
        if (ceremony is null || ceremony.ConsumedAt is not null)
            return (null, (400, ErrorCodes.InvalidCeremony, "unknown or already used ceremony; start again"));
        if (ceremony.ExpiresAt <= now)
            return (null, (400, ErrorCodes.ChallengeExpired, "the challenge expired; start again"));
        var claimed = await db.Ceremonies.Where(c => c.Id == id && c.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ConsumedAt, now), cancellationToken);
        return claimed == 1 ? (ceremony, null) : (null, (400, ErrorCodes.InvalidCeremony, "unknown or already used ceremony; start again"));
    }

    private async Task<Outcome<T>> RefuseAsync<T>(string type, string? email, string? client, string reason, CancellationToken cancellationToken) where T : class
    {
        Log.CeremonyRefused(logger, type, email ?? "(unknown)", reason);
        await AuditFailureAsync(type, email, client, cancellationToken, ("reason", reason.Length > 200 ? reason[..200] : reason));
        return Outcome<T>.Refuse(400, ErrorCodes.WebAuthnFailed, "the security key's response was not accepted");
    }

    private Task AuditFailureAsync(string type, string? email, string? client, CancellationToken cancellationToken, params (string Key, string Value)[] data) =>
        audit.WriteAsync(cancellationToken, new AuditEntry
        {
            Type = type, Actor = email is null ? "anonymous" : "user:" + email, ClientAddress = client,
            Data = data.ToDictionary(d => d.Key, d => d.Value),
        });

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "{EventType} for {Email}: {Reason}")]
        public static partial void CeremonyRefused(ILogger logger, string eventType, string email, string reason);
    }
}
