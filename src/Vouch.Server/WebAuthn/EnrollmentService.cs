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
    AuditLog audit, WebAuthnOptions options, YubicoAttestation yubico, TimeProvider time)
{
    public async Task<Outcome<CeremonyOptionsResponse>> BeginAsync(string? code, string? client, CancellationToken cancellationToken)
    {
        var found = await invites.FindUsableAsync(code, cancellationToken);
        if (!found.Succeeded)
        {
            await failures.AuditAsync(AuditEventTypes.EnrollmentFailed, null, client, cancellationToken, ("reason", found.Problem.Reason ?? found.Problem.Code));
            return found.Problem;
        }
        var invite = found.Value;

        await using var db = factory.CreateDbContext();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == invite.Email, cancellationToken);
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
        return new CeremonyOptionsResponse(ceremony.ToString(), JsonDocument.Parse(json).RootElement.Clone());
    }

    public async Task<Outcome<EnrollResponse>> FinishAsync(EnrollRequest request, string? client, CancellationToken cancellationToken)
    {
        var ceremony = await ceremonies.ConsumeAsync(request.Ceremony, CeremonyKinds.Enroll, cancellationToken);
        if (!ceremony.Succeeded) return ceremony.Problem;
        if (ceremony.Value.InviteId is not { } inviteId) return InviteService.AlreadyUsed;
        var found = await invites.FindUsableAsync(inviteId, cancellationToken);
        if (!found.Succeeded) return found.Problem;
        var invite = found.Value;

        var response = ClientResponses.Parse<AuthenticatorAttestationRawResponse>(request.Credential, out var malformed);
        if (response is null)
            return await failures.RefuseAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, malformed!, cancellationToken);
        RegisteredPublicKeyCredential credential;
        try
        {
            credential = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = CredentialCreateOptions.FromJson(ceremony.Value.Options),
                IsCredentialIdUniqueToUserCallback = IsCredentialIdUniqueAsync,
            }, cancellationToken);
        }
        catch (Exception e) when (ClientResponses.DidNotVerify(e))
        {
            return await failures.RefuseAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, e.Message, cancellationToken);
        }

        if (options.Attestation == AttestationPolicy.Yubikey && !yubico.IsGenuine(credential))
        {
            await failures.AuditAsync(AuditEventTypes.EnrollmentFailed, invite.Email, client, cancellationToken,
                ("reason", "attestation is not from a YubiKey"), ("aaguid", credential.AaGuid.ToString()));
            return new Problem(ErrorCodes.AttestationRefused, "this server accepts only YubiKeys (attestation chaining to Yubico's root)");
        }

        var enrolled = await Conflicts.InTransactionAsync(factory, async write =>
        {
            if (!await invites.ClaimAsync(write, invite.Id, cancellationToken)) return false;
            var now = StoredTime.Now(time);
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
        return enrolled ? new EnrollResponse(invite.Email) : InviteService.AlreadyUsed;
    }

    private async Task<bool> IsCredentialIdUniqueAsync(IsCredentialIdUniqueToUserParams args, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        return !await db.Credentials.AnyAsync(c => c.Id == args.CredentialId, cancellationToken);
    }
}
