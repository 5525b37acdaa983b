using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Persistence;

internal sealed class UserConfiguration : IEntityTypeConfiguration<UserRecord>
{
    public void Configure(EntityTypeBuilder<UserRecord> builder)
    {
        builder.ToTable("users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasColumnName("id");
        builder.Property(u => u.Email).HasColumnName("email").HasMaxLength(254);
        builder.HasIndex(u => u.Email).IsUnique();
        builder.Property(u => u.Domain).HasColumnName("domain").HasMaxLength(253);
        builder.Property(u => u.CreatedAt).HasColumnName("created_at");
        builder.Property(u => u.DisabledAt).HasColumnName("disabled_at");
        builder.Property(u => u.DisabledBy).HasColumnName("disabled_by").HasMaxLength(320);
        builder.Property(u => u.IsAdmin).HasColumnName("is_admin");
    }
}

internal sealed class InviteConfiguration : IEntityTypeConfiguration<InviteRecord>
{
    public void Configure(EntityTypeBuilder<InviteRecord> builder)
    {
        builder.ToTable("invites");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).HasColumnName("id");
        builder.Property(i => i.CodeHash).HasColumnName("code_hash").HasMaxLength(64);
        builder.HasIndex(i => i.CodeHash).IsUnique();
        builder.Property(i => i.Email).HasColumnName("email").HasMaxLength(254);
        builder.Property(i => i.Domain).HasColumnName("domain").HasMaxLength(253);
        builder.Property(i => i.CreatedAt).HasColumnName("created_at");
        builder.Property(i => i.ExpiresAt).HasColumnName("expires_at");
        builder.Property(i => i.CreatedBy).HasColumnName("created_by").HasMaxLength(320);
        builder.Property(i => i.UsedAt).HasColumnName("used_at");
        builder.Property(i => i.RevokedAt).HasColumnName("revoked_at");
        builder.Property(i => i.RevokedBy).HasColumnName("revoked_by").HasMaxLength(320);
    }
}

internal sealed class CredentialConfiguration : IEntityTypeConfiguration<CredentialRecord>
{
    public void Configure(EntityTypeBuilder<CredentialRecord> builder)
    {
        builder.ToTable("credentials");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasColumnName("id");
        builder.Property(c => c.UserId).HasColumnName("user_id");
        builder.HasIndex(c => c.UserId);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(c => c.PublicKey).HasColumnName("public_key");
        builder.Property(c => c.SignCount).HasColumnName("sign_count");
        builder.Property(c => c.AaGuid).HasColumnName("aaguid");
        builder.Property(c => c.Name).HasColumnName("name").HasMaxLength(64);
        builder.Property(c => c.AttestationFormat).HasColumnName("attestation_format").HasMaxLength(32);
        builder.Property(c => c.CreatedAt).HasColumnName("created_at");
        builder.Property(c => c.LastUsedAt).HasColumnName("last_used_at");
        builder.Property(c => c.RevokedAt).HasColumnName("revoked_at");
        builder.Property(c => c.RevokedBy).HasColumnName("revoked_by").HasMaxLength(320);
        builder.Property(c => c.LockedAt).HasColumnName("locked_at");
        builder.Property(c => c.HardwareAttested).HasColumnName("hardware_attested");
        builder.Property(c => c.Version).HasColumnName("version").IsConcurrencyToken();
    }
}

internal sealed class CeremonyConfiguration : IEntityTypeConfiguration<CeremonyRecord>
{
    public void Configure(EntityTypeBuilder<CeremonyRecord> builder)
    {
        builder.ToTable("ceremonies");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasColumnName("id");
        builder.Property(c => c.Kind).HasColumnName("kind").HasMaxLength(16);
        builder.Property(c => c.Options).HasColumnName("options");
        builder.Property(c => c.InviteId).HasColumnName("invite_id");
        builder.Property(c => c.CreatedAt).HasColumnName("created_at");
        builder.Property(c => c.ExpiresAt).HasColumnName("expires_at");
        builder.HasIndex(c => c.ExpiresAt);
        builder.Property(c => c.ConsumedAt).HasColumnName("consumed_at");
    }
}

internal sealed class SessionConfiguration : IEntityTypeConfiguration<SessionRecord>
{
    public void Configure(EntityTypeBuilder<SessionRecord> builder)
    {
        builder.ToTable("sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasColumnName("id");
        builder.Property(s => s.TokenHash).HasColumnName("token_hash").HasMaxLength(64);
        builder.HasIndex(s => s.TokenHash).IsUnique();
        builder.Property(s => s.UserId).HasColumnName("user_id");
        builder.HasIndex(s => s.UserId);
        builder.Property(s => s.Kind).HasColumnName("kind").HasMaxLength(16).HasDefaultValue(SessionKinds.Cli);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(s => s.CredentialId).HasColumnName("credential_id");
        // Revoking a key revokes the sessions it opened.
        builder.HasIndex(s => s.CredentialId);
        builder.Property(s => s.CreatedAt).HasColumnName("created_at");
        builder.Property(s => s.ExpiresAt).HasColumnName("expires_at");
        builder.Property(s => s.RevokedAt).HasColumnName("revoked_at");
        builder.Property(s => s.RevokedBy).HasColumnName("revoked_by").HasMaxLength(320);
    }
}
