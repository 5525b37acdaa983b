using System.Net;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Users;

/// <summary>
/// Two invites for one email nobody has yet, enrolled at the same moment: each key would make the user, with its
/// own invite's id as the user handle the key keeps. Exactly one may win; the other must leave nothing behind and
/// be able to start again and log in. Run on SQLite and on a real PostgreSQL by the subclasses below.
/// </summary>
public abstract class EnrollmentRaceTests : IAsyncLifetime
{
    /// <summary>Races run, each on its own email, so that the two finishes meet in more than one order.</summary>
    private const int Races = 6;

    private InProcessServer _server = null!;

    protected abstract Task<DatabaseSettings> CreateDatabaseAsync();

    public async Task InitializeAsync() =>
        _server = await InProcessServer.StartAsync(await CreateDatabaseAsync(), attestation: AttestationPolicy.Any,
            configure: s => s with { WebAuthn = s.WebAuthn with { CeremoniesPerMinute = 10_000 } });

    public virtual async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Of_two_first_enrollments_finishing_together_one_wins_the_other_writes_nothing_and_both_keys_then_log_in()
    {
        for (var race = 0; race < Races; race++)
        {
            var email = $"racer{race}@example.com";
            using var first = new ApiUser(_server, email);
            using var second = new ApiUser(_server, email);
            var codes = new[] { await first.InviteAsync(), await second.InviteAsync() };
            var racers = new[] { first, second };
            // Both begin while the user does not exist: each key is made with its own invite's id as user handle.
            var begun = await Task.WhenAll(racers.Select((r, i) => r.PostAsync(ApiRoutes.EnrollOptions, new { invite = codes[i] })));
            var credentials = racers.Select((r, i) => r.Key.MakeCredential(begun[i].Body.GetProperty("options"), r.Origin)).ToArray();

            var finished = await Task.WhenAll(racers.Select((r, i) =>
                r.PostAsync(ApiRoutes.Enroll, new { ceremony = begun[i].Body.GetProperty("ceremony").GetString(), credential = credentials[i] })));

            Assert.Single(finished, f => f.Status == HttpStatusCode.OK);
            var loser = Array.FindIndex(finished, f => f.Status != HttpStatusCode.OK);
            Assert.True(finished[loser].Status == HttpStatusCode.BadRequest, finished[loser].Body.ToString());
            Assert.Equal(ErrorCodes.InvalidCeremony, finished[loser].Body.GetProperty("error").GetString());
            Assert.Contains("start again", finished[loser].Body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
            await using (var db = _server.Get<VouchDbContextFactory>().CreateDbContext())
            {
                var user = await db.Users.AsNoTracking().SingleAsync(u => u.Email == email);
                var keys = await db.Credentials.AsNoTracking().Where(c => c.UserId == user.Id).ToListAsync();
                Assert.Equal(racers[1 - loser].Key.CredentialId, Assert.Single(keys).Id);
                Assert.Equal(user.Id.ToByteArray(), racers[1 - loser].Key.UserHandle);
                Assert.False(await db.Credentials.AnyAsync(c => c.Id == racers[loser].Key.CredentialId));
                // The loser's invite is still unused: it starts again with it.
                Assert.Equal(1, await db.Invites.CountAsync(i => i.Email == email && i.UsedAt == null));
            }

            await racers[loser].EnrollAsync(codes[loser]);

            Assert.Equal(new Guid(racers[loser].Key.UserHandle!), new Guid(racers[1 - loser].Key.UserHandle!));
            foreach (var racer in racers) await racer.LoginForSessionAsync();
        }
        await using var check = _server.Get<VouchDbContextFactory>().CreateDbContext();
        var users = await check.Users.AsNoTracking().Select(u => u.Id).ToListAsync();
        Assert.Equal(Races, users.Count);
        Assert.Equal(2 * Races, await check.Credentials.CountAsync());
        Assert.All(await check.Credentials.AsNoTracking().ToListAsync(), c => Assert.Contains(c.UserId, users));
    }
}

public sealed class SqliteEnrollmentRaceTests : EnrollmentRaceTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override Task<DatabaseSettings> CreateDatabaseAsync() => Task.FromResult(DatabaseSettings.Parse(_directory.File("vouch.db")));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}

[Collection(PostgresTests.Name)]
public sealed class PostgresEnrollmentRaceTests(PostgresFixture postgres) : EnrollmentRaceTests
{
    protected override async Task<DatabaseSettings> CreateDatabaseAsync() => DatabaseSettings.Parse(await postgres.Server.CreateDatabaseAsync());
}
