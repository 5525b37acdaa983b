using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// The server-side half of every ceremony: the options (with the challenge) are stored when it starts, and claimed
/// once, atomically, when the client answers. Of two answers to the same ceremony only one gets it. The client holds
/// a random secret; the row's id is derived from its SHA-256, so someone who reads the table cannot finish a ceremony.
/// </summary>
public sealed class CeremonyStore(VouchDbContextFactory factory, TimeProvider time)
{
    private static readonly Problem Unknown = new(ErrorCodes.InvalidCeremony, "unknown or already used ceremony; start again");
    private static readonly Problem Expired = new(ErrorCodes.ChallengeExpired, "the challenge expired; start again");

    /// <summary>How often starting a ceremony also deletes the long-expired ones (once a minute, not on every start).</summary>
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private static readonly ProviderCompiled<Func<VouchDbContext, Guid, string, CancellationToken, Task<CeremonyRecord?>>> Find = new(() =>
        EF.CompileAsyncQuery((VouchDbContext db, Guid id, string kind, CancellationToken _) =>
            db.Ceremonies.AsNoTracking().SingleOrDefault(c => c.Id == id && c.Kind == kind)));

    /// <summary>The prefix of a ceremony secret (the value the client presents to finish).</summary>
    internal const string SecretPrefix = "vch_";

    private long _nextSweepTicks;

    /// <summary>
    /// The row id of the ceremony whose secret is <paramref name="secret"/>: the first 128 bits of its SHA-256, as
    /// invites and sessions store only a hash. Knowing the id does not give the secret.
    /// </summary>
    internal static Guid IdOf(string secret) => new(Convert.FromHexString(OpaqueSecret.Hash(secret).AsSpan(0, 32)));

    /// <summary>Stores a new ceremony of <paramref name="kind"/> and returns its secret, which only the client holds.</summary>
    public async Task<string> StartAsync(string kind, string options, Guid? inviteId, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        await using var db = factory.CreateDbContext();
        var secret = OpaqueSecret.Generate(SecretPrefix);
        var ceremony = new CeremonyRecord
        {
            Id = IdOf(secret), Kind = kind, Options = options, InviteId = inviteId,
            CreatedAt = now, ExpiresAt = now + CeremonyKinds.Lifetime,
        };
        db.Ceremonies.Add(ceremony);
        await db.SaveChangesAsync(cancellationToken);
        // Old ceremonies are useless once expired (claiming checks the expiry); deleting them now and then keeps the
        // table small. One start a minute does it, not every start: a delete is as much work as the insert.
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks >= next && Interlocked.CompareExchange(ref _nextSweepTicks, (now + SweepInterval).UtcTicks, next) == next)
            await db.Ceremonies.Where(c => c.ExpiresAt < now - CeremonyKinds.Lifetime).ExecuteDeleteAsync(cancellationToken);
        return secret;
    }

    /// <summary>Claims the ceremony of <paramref name="kind"/> whose secret is <paramref name="ceremony"/>, if it is unused and unexpired.</summary>
    public async Task<Outcome<CeremonyRecord>> ConsumeAsync(string? ceremony, string kind, CancellationToken cancellationToken)
    {
        if (!OpaqueSecret.HasShape(ceremony, SecretPrefix)) return Unknown;
        var id = IdOf(ceremony!);
        var now = StoredTime.Now(time);
        await using var db = factory.CreateDbContext();
        var found = await Find.For(db)(db, id, kind, cancellationToken);
        if (found is null || found.ConsumedAt is not null) return Unknown;
        if (found.ExpiresAt <= now) return Expired;
        var claimed = await db.Ceremonies.Where(c => c.Id == id && c.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ConsumedAt, now), cancellationToken);
        return claimed == 1 ? found : Unknown;
    }
}
