using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.Hosting;

/// <summary>The services both the web server and the admin commands run on: the database and the features over it.</summary>
public static class CoreServices
{
    /// <summary>
    /// The clock, the database, the audit log, people, sessions and signing keys. Without a key-encryption key, the
    /// services that need it (the audit log's writer, the key store) are not usable.
    /// </summary>
    public static IServiceCollection AddVouchCore(
        this IServiceCollection services, DatabaseSettings database, KeyEncryptionKey? keyEncryptionKey, KeyPolicy keys, SessionLimits sessions) => services
        .AddSingleton(TimeProvider.System)
        .AddVouchPersistence(database)
        .AddVouchAudit(keyEncryptionKey)
        .AddVouchUsers()
        .AddVouchSessions(sessions)
        .AddVouchKeys(keys, keyEncryptionKey);
}
