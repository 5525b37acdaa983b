using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Users;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Enrolls a security key with an invite: resident key, user verification required, attestation checked against
/// the configured policy. The invite is claimed in the same transaction that stores the key.
/// </summary>
public sealed class EnrollmentService(
    IFido2 fido2, CeremonyStore ceremonies, InviteService invites, CeremonyFailures failures, VouchDbContextFactory factory,
    AuditLog audit, WebAuthnOptions options, TimeProvider time)
{
    public async Task<Outcome<CeremonyOptionsResponse>> BeginAsync(string? code, string? client, CancellationToken cancellationToken)
    {
        var found = await invites.FindUsableAsync(code, cancellationToken);
        if (!found.Succeeded) return await failures.RefuseAsync(AuditEventTypes.EnrollmentFailed, null, client, found.Problem, cancellationToken);
        var invite = found.Value;

        await using var db = factory.CreateDbContext();
        // An invite for an existing user's email adds a key to that user, unless an administrator disabled them.
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == invite.Email, cancellationToken);
        if (user?.DisabledAt is not null)
            return await failures.RefuseAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, Problems.UserDisabled, cancellationToken);
        var userId = user?.Id ?? invite.Id;
        var existing = await db.Credentials.AsNoTracking().Where(c => c.UserId == userId).Select(c => c.Id).ToListAsync(cancellationToken);
        var request = fido2.RequestNewCredential(new RequestNewCredentialParams
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
        var json = request.ToJson();
        var ceremony = await ceremonies.StartAsync(CeremonyKinds.Enroll, json, invite.Id, cancellationToken);
        return new CeremonyOptionsResponse(ceremony, JsonDocument.Parse(json).RootElement.Clone());
    }

    public async Task<Outcome<EnrollResponse>> FinishAsync(EnrollRequest request, string? client, CancellationToken cancellationToken)
    {
        var ceremony = await ceremonies.ConsumeAsync(request.Ceremony, CeremonyKinds.Enroll, cancellationToken);
        if (!ceremony.Succeeded) return ceremony.Problem;
        if (ceremony.Value.InviteId is not { } inviteId) return InviteService.AlreadyUsed;
        var found = await invites.FindUsableAsync(inviteId, cancellationToken);
        if (!found.Succeeded) return found.Problem;
        var invite = found.Value;

        var response = ClientResponses.Parse<AuthenticatorAttestationRawResponse>(request.Credential,
            r => r.RawId is { Length: > 0 } && r.Response is { AttestationObject: not null, ClientDataJson: not null },
            r => WellFormedCbor.AttestationObject(r.Response.AttestationObject), out var malformed);
        if (response is null)
            return await failures.RefuseAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, malformed!, cancellationToken);
        var original = CredentialCreateOptions.FromJson(ceremony.Value.Options);
        RegisteredPublicKeyCredential credential;
        try
        {
            credential = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = original,
                IsCredentialIdUniqueToUserCallback = IsCredentialIdUniqueAsync,
            }, cancellationToken);
        }
        catch (Exception e) when (ClientResponses.DidNotVerify(e))
        {
            return await failures.RefuseAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, e.Message, cancellationToken);
        }

        var verdict = options.Attestation.Check(credential.AttestationFormat, credential.AttestationObject, credential.AaGuid);
        if (!verdict.IsAccepted)
        {
            await failures.AuditAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, cancellationToken,
                ("reason", "attestation refused: " + verdict.Reason), ("aaguid", credential.AaGuid.ToString()),
                ("certificate_subject", verdict.Subject ?? "(none)"), ("policy", options.Attestation.Name));
            return new Problem(ErrorCodes.AttestationRefused, $"{options.Attestation.Refusal}: this key was refused because {verdict.Reason}");
        }

        var refused = await Conflicts.InTransactionAsync<Refusal?>(factory, async write =>
        {
            // Checked before the invite is claimed, so that a refusal leaves nothing behind: the user may have been
            // disabled, or enrolled by a concurrent first enrollment, since the ceremony began.
            var user = await write.Users.SingleOrDefaultAsync(u => u.Email == invite.Email, cancellationToken);
            if (user?.DisabledAt is not null) return new Refusal(Problems.UserDisabled, Audited: true);
            if (user is not null && !original.User.Id.AsSpan().SequenceEqual(user.Id.ToByteArray()))
                return new Refusal(new Problem(ErrorCodes.InvalidCeremony, "another enrollment for this email finished first; start again") { Reason = "user handle of a concurrent first enrollment" }, Audited: false);
            if (!await invites.StageClaimAsync(write, invite.Id, cancellationToken)) return new Refusal(InviteService.AlreadyUsed, Audited: false);
            var now = StoredTime.Now(time);
            if (user is null)
            {
                // The first user to enroll administers the server. Counted after the audit log's lock (PostgreSQL),
                // so that two first enrollments at once cannot both see an empty table.
                await AuditLog.LockForAppendAsync(write, cancellationToken);
                var first = !await write.Users.AnyAsync(cancellationToken);
                user = new UserRecord { Id = invite.Id, Email = invite.Email, Domain = invite.Domain, CreatedAt = now, IsAdmin = first };
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
                HardwareAttested = options.Attestation.ProvesHardware,
                CreatedAt = now,
            });
            var enrolled = new Dictionary<string, string>
            {
                ["invite_id"] = invite.Id.ToString(),
                // In full, as 'vouch-server credentials list' shows it and 'credentials revoke' takes it.
                ["credential_id"] = CredentialService.FormatId(credential.Id),
                ["aaguid"] = credential.AaGuid.ToString(),
            };
            if (user.IsAdmin && write.Entry(user).State == EntityState.Added) enrolled["administrator"] = "first user";
            await audit.StageAppendAsync(write, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.Enrolled, Actor = AuditActors.User(invite.Email), ClientAddress = client, Data = enrolled,
            });
            return null;
        }, cancellationToken);
        if (refused is null) return new EnrollResponse(invite.Email);
        return refused.Audited
            ? await failures.RefuseAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, refused.Problem, cancellationToken)
            : refused.Problem;
    }

    /// <summary>Why the enrollment's transaction stored nothing; <see cref="Audited"/> when the refusal is audited as a failed enrollment.</summary>
    private sealed record Refusal(Problem Problem, bool Audited);

    private async Task<bool> IsCredentialIdUniqueAsync(IsCredentialIdUniqueToUserParams args, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        return !await db.Credentials.AnyAsync(c => c.Id == args.CredentialId, cancellationToken);
    }
}
