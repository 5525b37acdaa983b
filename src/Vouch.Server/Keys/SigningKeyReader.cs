using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;

namespace Vouch.Server.Keys;

/// <summary>Reads the stored signing keys; needs no key-encryption key (their private halves stay sealed).</summary>
public sealed class SigningKeyReader(VouchDbContextFactory factory)
{
    public async Task<IReadOnlyList<SigningKeyRecord>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        return await db.SigningKeys.AsNoTracking().ToListAsync(cancellationToken);
    }
}
