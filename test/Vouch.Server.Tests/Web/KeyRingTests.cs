using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Server.Web;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Web;

/// <summary>
/// ASP.NET Core data protection (sign-in cookies, anti-forgery tokens) keeps its key ring in the database, sealed
/// under the key-encryption key: instances on one PostgreSQL share it, and the database alone does not open it.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class KeyRingTests(PostgresFixture postgres)
{
    private const string Purpose = "vouch key ring test";

    [Fact]
    public async Task Two_servers_on_one_PostgreSQL_open_what_the_other_protected()
    {
        var database = DatabaseSettings.Parse(await postgres.Server.CreateDatabaseAsync());
        using var kek = KeyEncryptionKey.Generate();
        await using var first = await InProcessServer.StartAsync(database, keyEncryptionKey: kek);
        await using var second = await InProcessServer.StartAsync(database, keyEncryptionKey: kek);

        var fromFirst = Protector(first).Protect("signed in as ada");
        var fromSecond = Protector(second).Protect("signed in as bob");

        Assert.Equal("signed in as ada", Protector(second).Unprotect(fromFirst));
        Assert.Equal("signed in as bob", Protector(first).Unprotect(fromSecond));
        await using var db = first.Get<VouchDbContextFactory>().CreateDbContext();
        Assert.NotEmpty(await db.DataProtectionKeys.ToListAsync());
    }

    [Fact]
    public async Task The_key_ring_in_the_database_is_sealed_and_useless_without_the_key_encryption_key()
    {
        var database = DatabaseSettings.Parse(await postgres.Server.CreateDatabaseAsync());
        var logs = new CapturedLogs();
        string protectedText;
        await using (var server = await InProcessServer.StartAsync(database, keyEncryptionKey: KeyEncryptionKey.Generate(), logs: logs))
        {
            protectedText = Protector(server).Protect("signed in as ada");
        }

        await using var db = new VouchDbContextFactory(database).CreateDbContext();
        var stored = Assert.Single(await db.DataProtectionKeys.ToListAsync());
        Assert.Contains("vouchSealedKey", stored.Xml, StringComparison.Ordinal);
        Assert.DoesNotContain("masterKey", stored.Xml, StringComparison.Ordinal);
        // The framework warns when keys are stored unencrypted, in a directory, or in memory only; none of that here.
        Assert.DoesNotContain(logs.Messages, m => m.Contains("XML encryptor", StringComparison.Ordinal)
                                                  || m.Contains("Storing keys", StringComparison.Ordinal)
                                                  || m.Contains("in-memory repository", StringComparison.Ordinal));

        // The same database and wiring under another key-encryption key (a server would refuse to start with it).
        await using var other = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddVouchPersistence(database)
            .AddSingleton(KeyEncryptionKey.Generate())
            .AddVouchWeb()
            .BuildServiceProvider();
        var protector = other.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(protectedText));
    }

    private static IDataProtector Protector(InProcessServer server) =>
        server.Get<IDataProtectionProvider>().CreateProtector(Purpose);
}
