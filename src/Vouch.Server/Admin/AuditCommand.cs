using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;

namespace Vouch.Server.Admin;

/// <summary>
/// <c>vouch-server audit [--json] [--limit N]</c>, <c>audit verify [--expect-head SEQ:HASH] [--accept-unkeyed-head SEQ:HASH]</c>,
/// <c>audit head</c> and <c>audit seal --expect-unkeyed-head SEQ:HASH</c>.
/// Printing needs only the database; verifying needs the key-encryption key, with which the chain is keyed.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(CommandContext context)
    {
        var json = new Option<bool>("--json") { Description = "one JSON object per line, with hashes" };
        var limit = new Option<int?>("--limit") { Description = "only the last N records" };
        limit.Validators.Add(result =>
        {
            if (!CommandOutput.NotANumber(result) && result.GetValueOrDefault<int?>() is < 1) result.AddError("--limit must be at least 1");
        });
        var expectHead = new Option<string?>("--expect-head")
        {
            Description = "a head printed earlier by 'audit head' (SEQ:HASH, or the hash alone): fail unless the log still passes through it",
        };
        expectHead.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && AuditHead.TryParse(text) is null)
                result.AddError("--expect-head takes SEQ:HASH as 'vouch-server audit head' prints it (HASH: 64 hex digits)");
        });
        var acceptUnkeyedHead = HeadOption("--accept-unkeyed-head",
            "the head (SEQ:HASH) of the records from before keying that you checked and accept; without it an unkeyed prefix fails");
        var verify = new Command("verify", "Check the keyed hash chain of the whole audit log (needs the key-encryption key)") { expectHead, acceptUnkeyedHead };
        verify.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Verifier>(parse, context, AdminServices.ToVerifyTheAuditLog,
            verifier => verifier.VerifyAsync(parse.GetValue(expectHead) is { } head ? AuditHead.TryParse(head) : null, Head(parse, acceptUnkeyedHead), cancellationToken), cancellationToken));
        var head = new Command("head", "Verify the chain and print its head (SEQ:HASH) to keep where the database's writers cannot change it") { acceptUnkeyedHead };
        head.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Verifier>(parse, context, AdminServices.ToVerifyTheAuditLog,
            verifier => verifier.HeadAsync(Head(parse, acceptUnkeyedHead), cancellationToken), cancellationToken));
        var expectUnkeyedHead = HeadOption("--expect-unkeyed-head", "the unkeyed head (SEQ:HASH) that you checked: nothing is written unless it is still the log's head");
        expectUnkeyedHead.Required = true;
        var seal = new Command("seal", "Once, after checking them: key the records from before keying by appending audit.keyed onto their head (needs the key-encryption key)") { expectUnkeyedHead };
        seal.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Sealer>(parse, context, AdminServices.ToWriteTheAuditLog,
            sealer => sealer.SealAsync(Head(parse, expectUnkeyedHead)!, cancellationToken), cancellationToken));
        var command = new Command("audit", "Print the audit log, oldest first") { json, limit, verify, head, seal };
        command.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Printer>(parse, context, keyEncryptionKeyFor: null,
            printer => printer.PrintAsync(parse.GetValue(json), parse.GetValue(limit), cancellationToken), cancellationToken));
        return command;
    }

    /// <summary>An option taking a head with its sequence number, SEQ:HASH, as 'audit head' and 'audit verify' print it.</summary>
    private static Option<string?> HeadOption(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && AuditHead.TryParse(text) is not { Sequence: not null })
                result.AddError($"{name} takes SEQ:HASH as 'vouch-server audit verify' prints it (HASH: 64 hex digits)");
        });
        return option;
    }

    private static AuditHead? Head(ParseResult parse, Option<string?> option) => parse.GetValue(option) is { } text ? AuditHead.TryParse(text) : null;

    /// <summary><c>audit seal</c>: the operator's explicit, one-time seal of the records from before keying.</summary>
    private sealed class Sealer(CommandContext context, AuditLog audit)
    {
        public async Task<int> SealAsync(AuditHead expected, CancellationToken cancellationToken)
        {
            if (await audit.SealUnkeyedHeadAsync(expected, cancellationToken) is { } refused)
            {
                context.Error.WriteLine($"vouch-server: {refused}; nothing was written");
                return ExitCodes.Failed;
            }
            context.Out.WriteLine($"sealed the unkeyed records up to {expected}: from now on 'vouch-server audit verify --accept-unkeyed-head {expected}' verifies the whole log");
            return ExitCodes.Ok;
        }
    }

    private sealed class Printer(CommandContext context, VouchDbContextFactory factory)
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
    }

    private sealed class Verifier(CommandContext context, AuditChainVerifier verifier)
    {
        public async Task<int> VerifyAsync(AuditHead? expectedHead, AuditHead? acceptedUnkeyedHead, CancellationToken cancellationToken)
        {
            var result = await verifier.VerifyAsync(cancellationToken, expectedHead, acceptedUnkeyedHead);
            if (!result.Intact) return Broken(result);
            context.Out.WriteLine($"audit log intact: {result.Records} records{Keyed(result)}, head {result.Records}:{result.HeadHash}");
            if (expectedHead is not null) context.Out.WriteLine($"passes through the expected head {expectedHead}");
            return ExitCodes.Ok;
        }

        public async Task<int> HeadAsync(AuditHead? acceptedUnkeyedHead, CancellationToken cancellationToken)
        {
            var result = await verifier.VerifyAsync(cancellationToken, acceptedUnkeyedHead: acceptedUnkeyedHead);
            if (!result.Intact) return Broken(result);
            var head = new AuditHead(result.Records, result.HeadHash);
            context.Out.WriteLine(head.ToString());
            context.Error.WriteLine($"Audit log intact: {result.Records} records{Keyed(result)}. Keep this head where the database's writers cannot change it;");
            context.Error.WriteLine($"later, 'vouch-server audit verify --expect-head {head}' proves that nothing up to it was changed.");
            return ExitCodes.Ok;
        }

        private static string Keyed(AuditVerification result) =>
            result.KeyedFrom is > 1 ? $" (keyed from record {result.KeyedFrom}; the {result.KeyedFrom - 1} before it predate keying, accepted as checked)" : "";

        private int Broken(AuditVerification result)
        {
            context.Out.WriteLine(result.BrokenAt is { } at
                ? $"audit log BROKEN at record {at}: {result.Problem}"
                : $"audit log NOT VERIFIED: {result.Problem}");
            context.Out.WriteLine(result.Records == 0
                ? "no record verified"
                : $"records 1..{result.Records} verified, ending with hash {result.HeadHash}");
            return ExitCodes.Failed;
        }
    }
}
