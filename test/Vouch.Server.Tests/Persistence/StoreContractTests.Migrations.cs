using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Vouch.Server.Persistence;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Migrations that change stored data.
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task Migrating_a_database_from_before_administrators_makes_its_earliest_enrolled_user_the_administrator()
    {
        // A second database, migrated only up to the migration before administrators, with three users.
        var old = new VouchDbContextFactory(await CreateDatabaseAsync());
        await using (var db = old.CreateDbContext())
        {
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(
                db.Database.GetMigrations().Last(m => m.EndsWith("_HardwareAttested", StringComparison.Ordinal)));
            var start = StoredTime.Now(Time);
            foreach (var (email, age) in new[] { ("carol@example.com", 1), ("bob@example.com", 3), ("dave@example.com", 2) })
            {
                var created = start - TimeSpan.FromDays(age);
                // As each provider stores a time (SQLite: UTC ticks).
                object stored = db.Database.IsSqlite() ? created.UtcTicks : created;
                await db.Database.ExecuteSqlAsync(
                    $"INSERT INTO users (id, email, domain, created_at) VALUES ({Guid.NewGuid()}, {email}, {"example.com"}, {stored})");
            }
        }

        await new DatabaseMigrator(old).MigrateAsync(CancellationToken.None);

        await using var migrated = old.CreateDbContext();
        Assert.Equal(["bob@example.com"], await migrated.Users.Where(u => u.IsAdmin).Select(u => u.Email).ToListAsync());
        Assert.Equal(3, await migrated.Users.CountAsync());
    }
}
