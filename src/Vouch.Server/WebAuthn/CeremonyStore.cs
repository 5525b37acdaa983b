using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Persistence;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// The server-side half of every ceremony: the options (with the challenge) are stored when it starts, and claimed
/// once, atomically, when the client answers. Of two answers to the same ceremony only one gets it.
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

    private long _nextSweepTicks;

    /// <summary>Stores a new ceremony of <paramref name="kind"/> and returns its id.</summary>
    public async Task<Guid> StartAsync(string kind, string options, Guid? inviteId, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        await using var db = factory.CreateDbContext();
        var ceremony = new CeremonyRecord
        {
            Id = Guid.NewGuid(), Kind = kind, Options = options, InviteId = inviteId,
            CreatedAt = now, ExpiresAt = now + CeremonyKinds.Lifetime,
        };
        db.Ceremonies.Add(ceremony);
        await db.SaveChangesAsync(cancellationToken);
        // Old ceremonies are useless once expired (claiming checks the expiry); deleting them now and then keeps the
        // table small. One start a minute does it, not every start: a delete is as much work as the insert.
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks >= next && Interlocked.CompareExchange(ref _nextSweepTicks, (now + SweepInterval).UtcTicks, next) == next)
            await db.Ceremonies.Where(c => c.ExpiresAt < now - CeremonyKinds.Lifetime).ExecuteDeleteAsync(cancellationToken);
        return ceremony.Id;
    }

    /// <summary>Claims the ceremony of <paramref name="kind"/> with id <paramref name="ceremonyId"/>, if it is unused and unexpired.</summary>
    public async Task<Outcome<CeremonyRecord>> ConsumeAsync(string? ceremonyId, string kind, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(ceremonyId, out var id)) return Unknown;
        var now = StoredTime.Now(time);
        await using var db = factory.CreateDbContext();
        var ceremony = await Find.For(db)(db, id, kind, cancellationToken);
        if (ceremony is null || ceremony.ConsumedAt is not null) return Unknown;
        if (ceremony.ExpiresAt <= now) return Expired;
        var claimed = await db.Ceremonies.Where(c => c.Id == id && c.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ConsumedAt, now), cancellationToken);
        return claimed == 1 ? ceremony : Unknown;
    }
}
