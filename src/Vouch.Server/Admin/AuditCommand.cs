using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server audit [--json] [--limit N]</c> and <c>vouch-server audit verify</c>.</summary>
internal static class AuditCommand
{
    public static Command Create(CommandContext context)
    {
        var json = new Option<bool>("--json") { Description = "one JSON object per line, with hashes" };
        var limit = new Option<int?>("--limit") { Description = "only the last N records" };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1) result.AddError("--limit must be at least 1");
        });
        var verify = new Command("verify", "Check the hash chain of the whole audit log; prints the head hash to keep elsewhere");
        verify.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Handler>(parse, context, needsKeyEncryptionKey: false,
            handler => handler.VerifyAsync(cancellationToken), cancellationToken));
        var command = new Command("audit", "Print the audit log, oldest first") { json, limit, verify };
        command.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Handler>(parse, context, needsKeyEncryptionKey: false,
            handler => handler.PrintAsync(parse.GetValue(json), parse.GetValue(limit), cancellationToken), cancellationToken));
        return command;
    }

    private sealed class Handler(CommandContext context, VouchDbContextFactory factory, AuditChainVerifier verifier)
    {
        public async Task<int> PrintAsync(bool json, int? limit, CancellationToken cancellationToken)
        {
            await using var db = factory.CreateDbContext();
            IQueryable<AuditRecord> query = db.AuditRecords.AsNoTracking().OrderByDescending(r => r.Sequence);
            if (limit is { } n) query = query.Take(n);
            var records = await query.ToListAsync(cancellationToken);
            records.Reverse();
            foreach (var record in records)
            {
                if (json)
                {
                    context.Out.WriteLine(JsonSerializer.Serialize(AuditRecordView.From(record), AuditJsonContext.Default.AuditRecordView));
                }
                else
                {
                    var time = record.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                    context.Out.WriteLine($"{record.Sequence,6}  {time}  {record.Type,-16}  {record.Actor,-24}  {record.ClientAddress ?? "-",-15}  {record.Data}");
                }
            }
            return ExitCodes.Ok;
        }

        public async Task<int> VerifyAsync(CancellationToken cancellationToken)
        {
            var result = await verifier.VerifyAsync(cancellationToken);
            if (result.Intact)
            {
                context.Out.WriteLine($"audit log intact: {result.Records} records, head {result.HeadHash}");
                return ExitCodes.Ok;
            }
            context.Out.WriteLine($"audit log BROKEN at record {result.BrokenAt}: {result.Problem}");
            context.Out.WriteLine($"records 1..{result.Records} are intact, ending with hash {result.HeadHash}");
            return ExitCodes.Failed;
        }
    }
}
