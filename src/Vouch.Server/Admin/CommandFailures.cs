using System.Data.Common;
using Vouch.Server.Audit;
using Vouch.Server.Secrets;

namespace Vouch.Server.Admin;

/// <summary>
/// The failures that every command which opens the database reports in one line with its exit code instead of a
/// stack trace: another key-encryption key than the database's, an audit log ending in unkeyed records, and a database that cannot be reached.
/// </summary>
internal static class CommandFailures
{
    /// <summary>
    /// Runs <paramref name="run"/> and returns its exit code, or reports what stopped it; <paramref name="databaseFailure"/>
    /// words a database failure for this step (opening the database, or losing it midway).
    /// </summary>
    public static async Task<int> RunAsync(CommandContext context, Func<Task<int>> run, Func<DbException, string> databaseFailure)
    {
        try
        {
            return await run();
        }
        catch (KeyEncryptionKeyMismatchException e)
        {
            // Another key-encryption key (a development one, say) pointed at this database: change nothing.
            context.Error.WriteLine($"vouch-server: {e.Message}");
            return ExitCodes.BadConfiguration;
        }
        catch (UnkeyedAuditHeadException e)
        {
            // Records anyone with the database could have forged: the operator checks and seals them, nothing else writes.
            context.Error.WriteLine($"vouch-server: {e.Message}");
            return ExitCodes.BadConfiguration;
        }
        catch (DbException e)
        {
            context.Error.WriteLine($"vouch-server: {databaseFailure(e)}");
            return ExitCodes.DatabaseUnavailable;
        }
    }
}
