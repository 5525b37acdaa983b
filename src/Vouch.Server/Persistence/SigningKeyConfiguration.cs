using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Vouch.Server.Keys;

namespace Vouch.Server.Persistence;

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKeyRecord>
{
    public void Configure(EntityTypeBuilder<SigningKeyRecord> builder)
    {
        builder.ToTable("signing_keys");
        builder.HasKey(k => k.Kid);
        builder.Property(k => k.Kid).HasColumnName("kid").HasMaxLength(64);
        builder.Property(k => k.Generation).HasColumnName("generation");
        builder.HasIndex(k => k.Generation).IsUnique();
        builder.Property(k => k.CreatedAt).HasColumnName("created_at");
        builder.Property(k => k.ActivatesAt).HasColumnName("activates_at");
        builder.Property(k => k.Certificate).HasColumnName("certificate");
        builder.Property(k => k.SealedPrivateKey).HasColumnName("sealed_private_key");
        builder.Property(k => k.KeyEncryptionKeyId).HasColumnName("kek_id").HasMaxLength(32);
        builder.Property(k => k.Version).HasColumnName("version").IsConcurrencyToken();
    }
}
