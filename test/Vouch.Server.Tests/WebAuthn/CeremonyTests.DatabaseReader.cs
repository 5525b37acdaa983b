using System.Net;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

// Security review M4: what the ceremonies table holds is not what the client presents.
public sealed partial class CeremonyTests
{
    [Fact]
    public async Task A_database_readers_ceremony_id_cannot_finish_an_enrollment_and_the_real_client_still_can()
    {
        var (status, started) = await Alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = await Alice.InviteAsync() });
        Assert.Equal(HttpStatusCode.OK, status);
        var secret = started.GetProperty("ceremony").GetString()!;
        string stored;
        await using (var db = Server.Get<VouchDbContextFactory>().CreateDbContext())
            stored = (await db.Ceremonies.AsNoTracking().SingleAsync()).Id.ToString();
        var credential = Alice.Key.MakeCredential(started.GetProperty("options"), Alice.Origin);

        // The reader has the row's id and the stored challenge, so a credential over it; presenting either form of the id fails.
        foreach (var attempt in new[] { stored, stored.ToUpperInvariant(), $"{{{stored}}}" })
        {
            var (refused, body) = await Alice.PostAsync(ApiRoutes.Enroll, new { ceremony = attempt, credential });
            Assert.Equal(HttpStatusCode.BadRequest, refused);
            Assert.Equal(ErrorCodes.InvalidCeremony, body.GetProperty("error").GetString());
        }
        Assert.DoesNotContain(secret, stored, StringComparison.OrdinalIgnoreCase);

        var (finished, enrolled) = await Alice.PostAsync(ApiRoutes.Enroll, new { ceremony = secret, credential });
        Assert.True(finished == HttpStatusCode.OK, enrolled.ToString());
    }
}
