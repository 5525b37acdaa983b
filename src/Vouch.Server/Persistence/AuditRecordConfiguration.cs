using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Vouch.Server.Audit;

namespace Vouch.Server.Persistence;

internal sealed class AuditRecordConfiguration : IEntityTypeConfiguration<AuditRecord>
{
    public void Configure(EntityTypeBuilder<AuditRecord> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(r => r.Sequence);
        // The application assigns sequence numbers (previous + 1) so that the hash chain has no gaps.
        builder.Property(r => r.Sequence).HasColumnName("sequence").ValueGeneratedNever();
        builder.Property(r => r.Time).HasColumnName("time");
        builder.Property(r => r.Type).HasColumnName("type").HasMaxLength(64);
        builder.Property(r => r.Actor).HasColumnName("actor").HasMaxLength(320);
        builder.Property(r => r.ClientAddress).HasColumnName("client_address").HasMaxLength(64);
        builder.Property(r => r.Data).HasColumnName("data");
        builder.Property(r => r.PreviousHash).HasColumnName("previous_hash").HasMaxLength(64);
        builder.Property(r => r.KeyEncryptionKeyId).HasColumnName("kek_id").HasMaxLength(32);
        builder.Property(r => r.Hash).HasColumnName("hash").HasMaxLength(64);
        builder.HasIndex(r => r.Time);
        builder.HasIndex(r => r.Type);
    }
}
