using System.CommandLine;
using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Vouch.Server.Audit;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary>
/// Runs an admin command's handler on the same database as the server: opens (and migrates) it on demand, with
/// the key-encryption key only for the commands that create keys, and gives the handler its services through its
/// constructor.
/// </summary>
internal static class AdminServices
{
    public static async Task<int> RunAsync<THandler>(
        ParseResult parse, CommandContext context, bool needsKeyEncryptionKey, Func<THandler, Task<int>> run, CancellationToken cancellationToken)
        where THandler : class
    {
        var options = CommonOptions.Load(parse, context);
        if (!options.Succeeded) return CommonOptions.Report(context, options.Problems);
        var errors = new List<Problem>();
        var database = ServerSettings.TryParseDatabase(options.Value.Database, errors);
        if (database is null) return CommonOptions.Report(context, errors);
        if (database.SqlitePath is { } path && !File.Exists(path))
        {
            context.Error.WriteLine($"vouch-server: database {path} does not exist; start the server once (vouch-server serve) or pass --database");
            return ExitCodes.DatabaseUnavailable;
        }

        KeyEncryptionKey? keyEncryptionKey = null;
        if (needsKeyEncryptionKey)
        {
            var kek = KeyEncryptionKeyLoader.Load(options.Value, database, warning => context.Error.WriteLine($"vouch-server: warning: {warning}"));
            if (!kek.Succeeded) return CommonOptions.Report(context, kek.Problems);
            keyEncryptionKey = kek.Value;
        }

        var collection = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(context)
            .AddVouchPersistence(database)
            .AddVouchAudit()
            .AddVouchUsers()
            .AddVouchSessions(new SessionLimits())
            .AddVouchKeys(new KeyPolicy(TimeSpan.FromDays(options.Value.KeyRotationDays)), keyEncryptionKey);
        // A feature service can be the handler itself; otherwise the handler is the command's own class.
        collection.TryAddTransient<THandler>();
        await using var services = collection.BuildServiceProvider();
        try
        {
            await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        }
        catch (DbException e)
        {
            context.Error.WriteLine($"vouch-server: cannot open {database.Display}: {e.Message}");
            return ExitCodes.DatabaseUnavailable;
        }
        try
        {
            return await run(services.GetRequiredService<THandler>());
        }
        catch (DbException e)
        {
            // The database went away mid-command (a restart, a killed connection): one line, not a stack trace.
            context.Error.WriteLine($"vouch-server: lost the database {database.Display}: {e.Message}");
            return ExitCodes.DatabaseUnavailable;
        }
    }
}
