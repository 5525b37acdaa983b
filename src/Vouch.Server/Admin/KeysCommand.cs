using System.CommandLine;
using Vouch.Server.Audit;
using Vouch.Server.Keys;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server keys list | rotate</c>.</summary>
internal static class KeysCommand
{
    public static Command Create(CommandContext context)
    {
        var list = new Command("list", "List the signing keys: current first, then next, then retired");
        list.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Lister>(parse, context, keyEncryptionKeyFor: null,
            lister => lister.ListAsync(cancellationToken), cancellationToken));
        var rotate = new Command("rotate", "Hand signing to the published next key now (or as soon as it is safe) and publish a new next key");
        rotate.SetAction((parse, cancellationToken) => AdminServices.RunAsync<Rotator>(parse, context, keyEncryptionKeyFor: AdminServices.ToCreateSigningKeys,
            rotator => rotator.RotateAsync(cancellationToken), cancellationToken));
        return new Command("keys", "Manage the ES256 signing keys") { list, rotate };
    }

    private sealed class Lister(CommandContext context, SigningKeyReader reader, TimeProvider time)
    {
        public async Task<int> ListAsync(CancellationToken cancellationToken)
        {
            var records = await reader.LoadAsync(cancellationToken);
            var now = time.GetUtcNow();
            var schedule = new KeySchedule<SigningKeyRecord>(records);
            context.Out.WriteLine($"{"KID",-43}  {"GEN",3}  {"STATUS",-7}  {"SIGNS FROM",-20}  {"SIGNS UNTIL",-20}");
            var ordered = records.OrderBy(k => schedule.StatusAt(k, now) switch
            {
                KeyStatus.Current => 0, KeyStatus.Next => 1, KeyStatus.Retired => 2, _ => 3,
            }).ThenByDescending(k => k.ActivatesAt);
            foreach (var key in ordered)
            {
                var until = schedule.RetiredAt(key) is { } retired ? CommandOutput.Time(retired) : "-";
                context.Out.WriteLine(
                    $"{key.Kid,-43}  {key.Generation,3}  {schedule.StatusAt(key, now).ToString().ToLowerInvariant(),-7}  {CommandOutput.Time(key.ActivatesAt),-20}  {until,-20}");
            }
            return ExitCodes.Ok;
        }
    }

    private sealed class Rotator(CommandContext context, KeyStore store)
    {
        public async Task<int> RotateAsync(CancellationToken cancellationToken)
        {
            var result = await store.RotateAsync(AuditActors.Admin, cancellationToken);
            context.Out.WriteLine($"key {result.Kid} signs from {CommandOutput.Time(result.ActivatesAt)} (replacing {result.PreviousKid ?? "none"})");
            context.Out.WriteLine($"next key {result.NextKid} published, signs from {CommandOutput.Time(result.NextActivatesAt)}");
            context.Error.WriteLine("Running servers pick up the change within 30 seconds; the old key stays published until its tokens expire.");
            return ExitCodes.Ok;
        }
    }
}
