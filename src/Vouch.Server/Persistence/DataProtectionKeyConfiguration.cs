using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Vouch.Server.Web.KeyRing;

namespace Vouch.Server.Persistence;

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKeyRecord>
{
    public void Configure(EntityTypeBuilder<DataProtectionKeyRecord> builder)
    {
        builder.ToTable("data_protection_keys");
        builder.HasKey(k => k.FriendlyName);
        builder.Property(k => k.FriendlyName).HasColumnName("friendly_name").HasMaxLength(64);
        builder.Property(k => k.Xml).HasColumnName("xml");
        builder.Property(k => k.CreatedAt).HasColumnName("created_at");
    }
}
