using System.CommandLine;
using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Audit;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary>
/// The services an admin command uses, on the same database as the server: opened (and migrated) on demand,
/// with the key-encryption key only for the commands that create keys.
/// </summary>
internal static class AdminServices
{
    public static async Task<(ServiceProvider? Services, int ExitCode)> OpenAsync(
        ParseResult parse, CommandContext context, bool needsKeyEncryptionKey, CancellationToken cancellationToken)
    {
        var options = CommonOptions.Load(parse, context);
        if (!options.Succeeded) return (null, CommonOptions.Report(context, options.Errors));
        var errors = new List<string>();
        var database = ServerSettings.TryParseDatabase(options.Value!.Database, errors);
        if (database is null) return (null, CommonOptions.Report(context, errors));
        if (database.SqlitePath is { } path && !File.Exists(path))
        {
            context.Error.WriteLine($"vouch-server: database {path} does not exist; start the server once (vouch-server serve) or pass --database");
            return (null, ExitCodes.DatabaseUnavailable);
        }

        KeyEncryptionKey? keyEncryptionKey = null;
        if (needsKeyEncryptionKey)
        {
            var kek = KeyEncryptionKeyLoader.Load(options.Value, database, warning => context.Error.WriteLine($"vouch-server: warning: {warning}"));
            if (!kek.Succeeded) return (null, CommonOptions.Report(context, kek.Errors));
            keyEncryptionKey = kek.Value;
        }

        var services = new ServiceCollection()
            .AddVouchPersistence(database)
            .AddVouchAudit()
            .AddVouchUsers()
            .AddVouchSessions()
            .AddVouchKeys(new KeyPolicy(TimeSpan.FromDays(options.Value.KeyRotationDays)), keyEncryptionKey, rotate: false)
            .BuildServiceProvider();
        try
        {
            await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        }
        catch (DbException e)
        {
            await services.DisposeAsync();
            context.Error.WriteLine($"vouch-server: cannot open {database.Display}: {e.Message}");
            return (null, ExitCodes.DatabaseUnavailable);
        }
        return (services, ExitCodes.Ok);
    }
}
