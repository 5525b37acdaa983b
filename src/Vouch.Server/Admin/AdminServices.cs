using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Server.Sessions;

namespace Vouch.Server.Admin;

/// <summary>
/// Runs an admin command's handler on the same database as the server: opens (and migrates) it on demand, with
/// the key-encryption key only for the commands that need it (those that create keys, write to the audit log or
/// verify it), and gives the handler its services through its constructor.
/// </summary>
internal static class AdminServices
{
    public const string ToWriteTheAuditLog = "to write to the audit log, whose records are keyed with it";
    public const string ToVerifyTheAuditLog = "to verify the audit log, whose records are keyed with it";
    public const string ToCreateSigningKeys = "to seal the signing key it creates and to write to the audit log";

    /// <summary>
    /// Runs <paramref name="run"/> on a handler built with the database's services. <paramref name="keyEncryptionKeyFor"/>
    /// says why the command needs the key-encryption key (printed when it is missing), or is null if it does not.
    /// </summary>
    public static async Task<int> RunAsync<THandler>(
        ParseResult parse, CommandContext context, string? keyEncryptionKeyFor, Func<THandler, Task<int>> run, CancellationToken cancellationToken)
        where THandler : class
    {
        var options = CommonOptions.Load(parse, context);
        if (!options.Succeeded) return CommonOptions.Report(context, options.Problems);
        var errors = new List<Problem>();
        var database = DatabaseSettings.TryParse(options.Value.Database, errors);
        if (database is null) return CommonOptions.Report(context, errors);
        if (database.SqlitePath is { } path && !File.Exists(path))
        {
            context.Error.WriteLine($"vouch-server: database {path} does not exist; start the server once (vouch-server serve) or pass --database");
            return ExitCodes.DatabaseUnavailable;
        }

        KeyEncryptionKey? keyEncryptionKey = null;
        if (keyEncryptionKeyFor is not null)
        {
            var kek = KeyEncryptionKeyLoader.Load(
                options.Value.KeyEncryptionKey, options.Value.KeyEncryptionKeyFile, options.Value.Development, database.SqlitePath, warning => context.Error.WriteLine($"vouch-server: warning: {warning}"));
            if (!kek.Succeeded)
            {
                context.Error.WriteLine($"vouch-server: this command needs the server's key-encryption key {keyEncryptionKeyFor}");
                return CommonOptions.Report(context, kek.Problems);
            }
            keyEncryptionKey = kek.Value;
        }

        var collection = new ServiceCollection()
            .AddSingleton(context)
            .AddVouchCore(database, keyEncryptionKey, new KeyPolicy(TimeSpan.FromDays(options.Value.KeyRotationDays)), new SessionLimits());
        // A feature service can be the handler itself; otherwise the handler is the command's own class.
        collection.TryAddTransient<THandler>();
        await using var services = collection.BuildServiceProvider();
        var opened = await CommandFailures.RunAsync(context, async () =>
        {
            await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
            return ExitCodes.Ok;
        }, e => $"cannot open {database.Display}: {e.Message}");
        if (opened != ExitCodes.Ok) return opened;
        // The database may go away mid-command (a restart, a killed connection): one line, not a stack trace.
        return await CommandFailures.RunAsync(context, () => run(services.GetRequiredService<THandler>()),
            e => $"lost the database {database.Display}: {e.Message}");
    }
}
