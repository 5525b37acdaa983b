using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.Web.KeyRing;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Persistence;

/// <summary>The server's database; one subclass per provider carries that provider's migrations.</summary>
public abstract class VouchDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<SigningKeyRecord> SigningKeys => Set<SigningKeyRecord>();

    public DbSet<AuditRecord> AuditRecords => Set<AuditRecord>();

    public DbSet<UserRecord> Users => Set<UserRecord>();

    public DbSet<InviteRecord> Invites => Set<InviteRecord>();

    public DbSet<CredentialRecord> Credentials => Set<CredentialRecord>();

    public DbSet<CeremonyRecord> Ceremonies => Set<CeremonyRecord>();

    public DbSet<SessionRecord> Sessions => Set<SessionRecord>();

    public DbSet<DataProtectionKeyRecord> DataProtectionKeys => Set<DataProtectionKeyRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(VouchDbContext).Assembly);
}

/// <summary>The SQLite flavour (embedded default).</summary>
public sealed class SqliteVouchDbContext(DbContextOptions<SqliteVouchDbContext> options) : VouchDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or order DateTimeOffset values; as UTC ticks they sort and compare exactly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
    }
}

/// <summary>The PostgreSQL flavour (several instances).</summary>
public sealed class PostgresVouchDbContext(DbContextOptions<PostgresVouchDbContext> options) : VouchDbContext(options);

/// <summary>Stores a <see cref="DateTimeOffset"/> as its UTC ticks; reads it back with offset zero.</summary>
internal sealed class DateTimeOffsetToUtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
