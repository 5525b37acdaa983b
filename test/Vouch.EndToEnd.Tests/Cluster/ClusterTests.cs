using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using Vouch.Protocol;
using Vouch.Server.Keys;
using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.EndToEnd.Tests.Cluster;

/// <summary>The test classes that share one <see cref="VouchCluster"/> (PostgreSQL, three instances, nginx) for the run.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterPeers : ICollectionFixture<VouchCluster>
{
    public const string Name = "cluster";
}

/// <summary>
/// Three <c>vouch-server serve</c> instances on one PostgreSQL database behind nginx (<c>deploy/nginx/vouch-cluster.conf</c>)
/// are interchangeable: ceremonies, sessions, keys and the audit chain live in the database, and nothing an instance
/// caches can outlive a revocation.
/// </summary>
[Collection(ClusterPeers.Name)]
public sealed class ClusterTests(VouchCluster cluster, ClusterRgw clusterRgw, ITestOutputHelper output) : IClassFixture<ClusterRgw>
{
    private IEnumerable<string> InstanceUrls => Enumerable.Range(0, VouchCluster.Instances).Select(cluster.InstanceUrl);

    [Fact]
    public async Task Instances_started_together_on_an_empty_database_create_the_first_keys_once_and_publish_the_same_jwks()
    {
        var audit = await cluster.AuditAsync();
        var published = new List<IReadOnlyList<string>>();
        foreach (var url in InstanceUrls) published.Add(await cluster.PublishedKidsAsync(url));

        var created = audit.Where(r => r.GetProperty("type").GetString() == "key.created").Select(Data).ToList();
        Assert.Single(created, d => d.GetProperty("reason").GetString() == "first key");
        Assert.Equal(created.Count, created.Select(d => d.GetProperty("generation").GetString()).Distinct().Count());
        Assert.All(published, kids => Assert.Equal(published[0], kids));
        Assert.True(published[0].Count >= 2, "the next key is not published");
    }

    [Fact]
    public async Task A_ceremony_begun_on_one_instance_finishes_on_another_and_its_session_is_honoured_by_every_instance()
    {
        var person = new ClusterUser("across@example.com");
        var invite = await cluster.AdminOutputAsync("invite", "--email", person.Email);
        var enrolled = await cluster.EnrollAsync(person, invite, cluster.InstanceUrl(0), cluster.InstanceUrl(1));
        Assert.True(enrolled.Status == HttpStatusCode.OK, $"enrollment begun on 0, finished on 1: {(int)enrolled.Status} {enrolled.Body}");

        var kids = new List<string>();
        for (var begin = 0; begin < VouchCluster.Instances; begin++)
        {
            var finish = (begin + 1) % VouchCluster.Instances;
            var login = await cluster.LoginAsync(person, cluster.InstanceUrl(begin), cluster.InstanceUrl(finish));
            Assert.True(login.Status == HttpStatusCode.OK, $"login begun on {begin}, finished on {finish}: {(int)login.Status} {login.Body}");
            var session = login.Body.GetProperty("session").GetString()!;
            foreach (var url in InstanceUrls)
            {
                var token = await cluster.TokenAsync(url, session);
                Assert.True(token.Status == HttpStatusCode.OK, $"session from {finish} at {url}: {(int)token.Status} {token.Body}");
                kids.Add(VouchCluster.JwtPart(token.Body.GetProperty("id_token").GetString()!, 0).GetProperty("kid").GetString()!);
            }
        }
        // Round robin: consecutive requests through nginx land on different instances.
        for (var i = 0; i < VouchCluster.Instances; i++)
        {
            var session = await cluster.SessionAsync(person);
            for (var j = 0; j < VouchCluster.Instances; j++)
                Assert.Equal(HttpStatusCode.OK, (await cluster.TokenAsync(cluster.Issuer, session)).Status);
        }

        var current = (await cluster.PublishedKidsAsync(cluster.InstanceUrl(0)))[0];
        Assert.All(kids, kid => Assert.Equal(current, kid));
    }

    [Fact]
    public async Task A_revoked_session_and_a_disabled_user_are_refused_by_every_instance_as_soon_as_the_command_returns()
    {
        var revoked = await cluster.EnrolledPersonAsync();
        var disabled = await cluster.EnrolledPersonAsync();
        var revokedSession = await cluster.SessionAsync(revoked);
        var disabledSession = await cluster.SessionAsync(disabled);
        foreach (var url in InstanceUrls)
        {
            Assert.Equal(HttpStatusCode.OK, (await cluster.TokenAsync(url, revokedSession)).Status);
            Assert.Equal(HttpStatusCode.OK, (await cluster.TokenAsync(url, disabledSession)).Status);
        }

        await cluster.AdminOutputAsync("sessions", "revoke", "--email", revoked.Email);
        await cluster.AdminOutputAsync("users", "disable", disabled.Email);
        var clock = Stopwatch.StartNew();
        var answers = new List<(string Url, ApiAnswer Revoked, ApiAnswer Disabled, ApiAnswer Login)>();
        foreach (var url in InstanceUrls)
            answers.Add((url, await cluster.TokenAsync(url, revokedSession), await cluster.TokenAsync(url, disabledSession), await cluster.LoginAsync(disabled, url, url)));
        output.WriteLine($"all three instances asked within {clock.ElapsedMilliseconds} ms of the commands");

        Assert.All(answers, a =>
        {
            Assert.True(a.Revoked.Status == HttpStatusCode.Unauthorized && Code(a.Revoked) == ErrorCodes.SessionRevoked, $"{a.Url}: {(int)a.Revoked.Status} {a.Revoked.Body}");
            Assert.True(a.Disabled.Status == HttpStatusCode.Forbidden && Code(a.Disabled) == ErrorCodes.UserDisabled, $"{a.Url}: {(int)a.Disabled.Status} {a.Disabled.Body}");
            Assert.True(a.Login.Status == HttpStatusCode.Forbidden, $"{a.Url}: login of a disabled user {(int)a.Login.Status} {a.Login.Body}");
        });
    }

    [Fact]
    public async Task Sixteen_clients_asking_for_tokens_through_nginx_get_no_server_error_and_every_token_is_audited_in_a_chain_that_verifies()
    {
        const int Clients = 16;
        const int TokensEach = 30;
        var sessions = new List<string>();
        foreach (var person in await cluster.PeopleAsync(Clients)) sessions.Add(await cluster.SessionAsync(person));

        // Alone first: the latency of an append that never waits for another.
        var alone = new List<double>();
        for (var i = 0; i < 50; i++) alone.Add((await TimedTokenAsync(cluster.Issuer, sessions[0])).Milliseconds);

        var received = new ConcurrentBag<string>();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var latencies = new ConcurrentBag<double>();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(sessions.Select(session => Task.Run(async () =>
        {
            for (var i = 0; i < TokensEach; i++)
            {
                var (answer, milliseconds) = await TimedTokenAsync(cluster.Issuer, session);
                statuses.Add(answer.Status);
                latencies.Add(milliseconds);
                if (answer.Status == HttpStatusCode.OK) received.Add(answer.Body.GetProperty("jti").GetString()!);
            }
        })));
        wall.Stop();

        var audited = await cluster.AuditedTokensAsync();
        await using (var connection = await cluster.OpenDatabaseAsync())
        {
            await using var size = new NpgsqlCommand("SELECT pg_total_relation_size('audit_log') / count(*) FROM audit_log", connection);
            output.WriteLine($"audit_log: {await size.ExecuteScalarAsync()} bytes a record with its index");
        }
        output.WriteLine($"alone: p50 {VouchCluster.Invariant(VouchCluster.Percentile(alone, 50))} ms, p99 {VouchCluster.Invariant(VouchCluster.Percentile(alone, 99))} ms");
        output.WriteLine($"{Clients} clients x {TokensEach}: {received.Count} tokens in {wall.ElapsedMilliseconds} ms " +
                         $"({VouchCluster.Invariant(received.Count / wall.Elapsed.TotalSeconds)}/s), p50 {VouchCluster.Invariant(VouchCluster.Percentile(latencies.ToList(), 50))} ms, " +
                         $"p99 {VouchCluster.Invariant(VouchCluster.Percentile(latencies.ToList(), 99))} ms; statuses {string.Join(", ", statuses.GroupBy(s => (int)s).Select(g => $"{g.Key}x{g.Count()}"))}");
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(Clients * TokensEach, received.Count);
        Assert.All(received, jti => Assert.Contains(jti, audited));
        await cluster.AssertAuditChainVerifiesAsync();
    }

    [Fact]
    public async Task Killed_connections_and_a_restarted_postgresql_give_503_with_retry_after_never_500_and_every_instance_recovers_without_a_restart()
    {
        var people = new List<(ClusterUser Person, string Session)>();
        foreach (var person in await cluster.PeopleAsync(6)) people.Add((person, await cluster.SessionAsync(person)));
        var answers = new ConcurrentQueue<(string Step, ApiAnswer Answer)>();
        var received = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var workers = people.Select((p, w) => Task.Run(async () =>
        {
            var url = cluster.InstanceUrl(w % VouchCluster.Instances);
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var token = await cluster.TokenAsync(url, p.Session, CancellationToken.None);
                answers.Enqueue(("token", token));
                if (token.Status == HttpStatusCode.OK) received.Add(token.Body.GetProperty("jti").GetString()!);
                if (round % 5 == 0) answers.Enqueue(("login", await cluster.LoginAsync(p.Person, url, url, CancellationToken.None)));
                await Task.Delay(20, CancellationToken.None);
            }
        })).ToList();

        var database = PostgresServer.DatabaseOf(cluster.Database);
        var terminated = 0;
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(300);
            terminated += await cluster.Postgres.TerminateConnectionsAsync(database);
        }
        var duringKills = answers.Count;

        // Down for 6 s: long enough for every instance's probe to notice.
        var restart = cluster.Postgres.RestartAsync(TimeSpan.FromSeconds(6));
        var unhealthy = new ConcurrentDictionary<string, ApiAnswer>();
        var noticed = await VouchCluster.WithinAsync(TimeSpan.FromSeconds(6), "every /healthz reports the database away", async () =>
        {
            foreach (var url in InstanceUrls.Where(u => !unhealthy.ContainsKey(u)))
            {
                var health = await cluster.GetAsync(url, ApiRoutes.Health);
                if (health.Status == HttpStatusCode.ServiceUnavailable) unhealthy[url] = health;
            }
            return unhealthy.Count == VouchCluster.Instances;
        });
        await restart;
        var recovered = await VouchCluster.WithinAsync(TimeSpan.FromSeconds(15), "every /healthz is 200 again", async () =>
        {
            foreach (var url in InstanceUrls)
            {
                if ((await cluster.GetAsync(url, ApiRoutes.Health)).Status != HttpStatusCode.OK) return false;
            }
            return true;
        });
        await Task.Delay(1000);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var after = new List<ApiAnswer>();
        foreach (var url in InstanceUrls) after.Add(await cluster.TokenAsync(url, people[0].Session));

        var all = answers.ToList();
        output.WriteLine($"{terminated} connections terminated; {all.Count} answers ({duringKills} while killing): " +
                         string.Join(", ", all.GroupBy(a => $"{a.Step} {(int)a.Answer.Status}").OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}")) +
                         $"; /healthz 503 on all within {noticed.TotalSeconds:F1} s, 200 again {recovered.TotalSeconds:F1} s after the restart");
        Assert.True(terminated > 0, "no connection was terminated");
        Assert.DoesNotContain(all, a => a.Answer.IsServerError && a.Answer.Status != HttpStatusCode.ServiceUnavailable);
        Assert.All(all.Where(a => a.Answer.Status == HttpStatusCode.ServiceUnavailable), a =>
        {
            Assert.Equal(ErrorCodes.NotReady, Code(a.Answer));
            Assert.Equal("1", a.Answer.RetryAfter);
        });
        Assert.All(unhealthy.Values, h => Assert.Equal("1", h.RetryAfter));
        Assert.Contains(all.Take(duringKills), a => a.Step == "token" && a.Answer.Status == HttpStatusCode.OK);
        Assert.All(after, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        var audited = await cluster.AuditedTokensAsync();
        Assert.All(received, jti => Assert.Contains(jti, audited));
        await cluster.AssertAuditChainVerifiesAsync();
    }

    [Fact]
    public async Task Killing_an_instance_during_logins_and_token_requests_through_nginx_fails_no_client_that_retries_and_loses_no_audit_record()
    {
        const int Clients = 8;
        var people = await cluster.PeopleAsync(Clients);
        var received = new ConcurrentBag<string>();
        var retried = new ConcurrentBag<string>();
        var failed = new ConcurrentBag<string>();
        var afterKill = new ConcurrentBag<string>();
        var killed = false;
        using var stop = new CancellationTokenSource();
        var workers = people.Select(person => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var login = await RetryAsync(() => cluster.LoginAsync(person, cluster.Issuer, cluster.Issuer), retried, failed, "login");
                if (login is null) continue;
                var session = login.Body.GetProperty("session").GetString()!;
                for (var i = 0; i < 5; i++)
                {
                    var token = await RetryAsync(() => cluster.TokenAsync(cluster.Issuer, session), retried, failed, "token");
                    if (token is null) continue;
                    var jti = token.Body.GetProperty("jti").GetString()!;
                    received.Add(jti);
                    if (Volatile.Read(ref killed)) afterKill.Add(jti);
                }
            }
        })).ToList();

        await Task.Delay(1500);
        await cluster.KillInstanceAsync(2);
        Volatile.Write(ref killed, true);
        await Task.Delay(4000);
        await cluster.StartInstanceAsync(2);
        await Task.Delay(1500);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var audited = await cluster.AuditedTokensAsync();
        output.WriteLine($"{received.Count} tokens ({afterKill.Count} after the kill); {retried.Count} answers retried: " +
                         string.Join(", ", retried.GroupBy(r => r).Select(g => $"{g.Key} x{g.Count()}")));
        Assert.Empty(failed);
        Assert.True(afterKill.Count >= Clients, $"only {afterKill.Count} tokens after the kill");
        Assert.All(received, jti => Assert.Contains(jti, audited));
        await cluster.AssertAuditChainVerifiesAsync();
    }

    [Fact]
    public async Task A_key_rotated_under_load_is_published_by_every_instance_before_any_signs_with_it_and_jose_and_rgw_accept_every_token()
    {
        var sessions = new List<string>();
        foreach (var person in await cluster.PeopleAsync(VouchCluster.Instances)) sessions.Add(await cluster.SessionAsync(person));
        var first = await cluster.TokenAsync(cluster.Issuer, sessions[0]);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var audience = VouchCluster.JwtPart(first.Body.GetProperty("id_token").GetString()!, 1).GetProperty("aud").GetString()!;
        // RGW fetches the discovery document and JWKS from the issuer, nginx over https, from whichever instance
        // nginx picks: an instance that disagreed with the others on the current key would fail tokens (RGW 16.2
        // verifies with the first JWKS key only).
        var (rgw, role) = await clusterRgw.StartAsync(cluster, audience);
        // keys rotate hands signing to the next key once it has been published for KeyPolicy.PublishLead (6.5 min). The
        // cluster started seconds ago; its next key's creation is moved back by that much, as if it had run that long
        // (the key has been published by every instance since they started), so the hand-over comes
        // KeyPolicy.RotationLead (60 s) after the rotation.
        await using (var connection = await cluster.OpenDatabaseAsync())
        {
            await using var backdate = new NpgsqlCommand("UPDATE signing_keys SET created_at = created_at - @lead WHERE activates_at > now()", connection);
            backdate.Parameters.AddWithValue("lead", KeyPolicy.PublishLead);
            Assert.Equal(1, await backdate.ExecuteNonQueryAsync());
        }
        var jwks = new ConcurrentQueue<(DateTimeOffset Start, DateTimeOffset End, int Instance, IReadOnlyList<string> Kids)>();
        var tokens = new ConcurrentQueue<(DateTimeOffset Start, DateTimeOffset At, int Instance, string Kid)>();
        var failures = new ConcurrentQueue<string>();
        var traded = 0;
        // The moment signing changes hands, once known. RGW verifies with the first published key: a token minted
        // before it and traded after it is refused whatever the server does (the CLI trades each token the moment it
        // gets it, so only a token minted in the last instant before could meet that). No worker mints in the two
        // seconds before; jose (and AWS) take any published key, and the instances' agreement is checked to the
        // millisecond below.
        long switchTicks = 0;
        using var stop = new CancellationTokenSource();
        var monitor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (var i = 0; i < VouchCluster.Instances; i++)
                {
                    var start = DateTimeOffset.UtcNow;
                    var kids = await cluster.PublishedKidsAsync(cluster.InstanceUrl(i));
                    jwks.Enqueue((start, DateTimeOffset.UtcNow, i, kids));
                }
                await Task.Delay(200, CancellationToken.None);
            }
        });
        var workers = sessions.Select((session, instance) => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (Interlocked.Read(ref switchTicks) is var ticks and not 0 && new DateTimeOffset(ticks, TimeSpan.Zero) is var handover &&
                    DateTimeOffset.UtcNow is var now && now > handover - TimeSpan.FromSeconds(2) && now < handover)
                    await Task.Delay(handover - now + TimeSpan.FromMilliseconds(1), CancellationToken.None);
                var start = DateTimeOffset.UtcNow;
                var answer = await cluster.TokenAsync(cluster.InstanceUrl(instance), session, CancellationToken.None);
                var at = DateTimeOffset.UtcNow;
                if (answer.Status != HttpStatusCode.OK)
                {
                    failures.Enqueue($"instance {instance}: {(int)answer.Status} {answer.Body}");
                    continue;
                }
                var token = answer.Body.GetProperty("id_token").GetString()!;
                var kid = VouchCluster.JwtPart(token, 0).GetProperty("kid").GetString()!;
                tokens.Enqueue((start, at, instance, kid));
                // As the CLI does: traded with RGW the moment it arrives.
                var sts = await rgw.AssumeRoleWithWebIdentityAsync(role, token, $"instance{instance}");
                Interlocked.Increment(ref traded);
                if (!sts.Issued)
                    failures.Enqueue($"instance {instance}, kid {kid}, minted {at:HH:mm:ss.fff}, answered {DateTimeOffset.UtcNow:HH:mm:ss.fff}: RGW {sts.Error ?? "gave no credentials"}");
                // Against the JWKS of another instance than the one that signed: a relying party reads it from any.
                var verdict = await NodePeers.VerifyJwtAsync(token, cluster.InstanceUrl((instance + 1) % VouchCluster.Instances) + ApiRoutes.Jwks, cluster.Issuer, audience);
                if (!verdict.GetProperty("ok").GetBoolean())
                    failures.Enqueue($"instance {instance}, kid {kid}: jose {verdict.GetProperty("code")}: {verdict.GetProperty("message")}");
            }
        })).ToList();

        await Task.Delay(2000);
        var before = await cluster.PublishedKidsAsync(cluster.InstanceUrl(0));
        await cluster.AdminOutputAsync("keys", "rotate");
        var audit = await cluster.AuditAsync();
        var rotated = audit.Last(r => r.GetProperty("type").GetString() == "key.rotated");
        var kid = Data(rotated).GetProperty("kid").GetString()!;
        var activatesAt = DateTimeOffset.Parse(Data(rotated).GetProperty("activates_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Interlocked.Exchange(ref switchTicks, activatesAt.UtcTicks);
        var previous = Data(rotated).GetProperty("previous_kid").GetString()!;
        var clock = Stopwatch.StartNew();
        while (!Enumerable.Range(0, VouchCluster.Instances).All(i => tokens.Any(t => t.Instance == i && t.Kid == kid)))
        {
            if (workers.Append(monitor).FirstOrDefault(w => w.IsFaulted) is { } faulted) await faulted;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(110),
                $"not every instance signs with {kid} (due {activatesAt:O}, rotated from {previous}) 110 s after the rotation: " +
                string.Join(", ", tokens.GroupBy(t => $"{t.Instance} {t.Kid}").Select(g => $"{g.Key} x{g.Count()} last {g.Max(t => t.At):HH:mm:ss}")) +
                $"; failures: {string.Join('\n', failures.Take(5))}");
            await Task.Delay(100);
        }
        var switched = clock.Elapsed;
        await Task.Delay(2000);
        await stop.CancelAsync();
        await Task.WhenAll(workers.Append(monitor));
        var after = await cluster.AuditAsync();

        var firstSigned = Enumerable.Range(0, VouchCluster.Instances).Select(i => tokens.Where(t => t.Instance == i && t.Kid == kid).Min(t => t.At)).ToList();
        output.WriteLine($"{tokens.Count} tokens verified by jose, {traded} traded with RGW ({tokens.Count(t => t.Kid == previous)} of the old key, " +
                         $"{tokens.Count(t => t.Kid == kid)} of the new), {jwks.Count} JWKS read; rotated to {kid}, due {activatesAt:HH:mm:ss.fff}; " +
                         $"instances first signed with it at {string.Join(", ", firstSigned.Select(t => t.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)))} " +
                         $"(all within {switched.TotalSeconds:F1} s of the rotation)");
        Assert.True(failures.IsEmpty, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(10))}");
        Assert.Equal(tokens.Count, traded);
        Assert.Contains(tokens, t => t.Kid == previous);
        Assert.Equal(before[0], previous);
        Assert.Contains(kid, before);
        // Published by every instance, the new key with the old one, in every JWKS read while the key changed hands.
        Assert.All(jwks, j => Assert.True(j.Kids.Contains(kid) && j.Kids.Contains(previous), $"instance {j.Instance} at {j.End:O} published {string.Join(' ', j.Kids)}"));
        // Every instance follows the stored schedule, not its own last re-read: the old key first in every JWKS read
        // and signing every token before the hand-over, the new key from the hand-over on.
        Assert.All(jwks.Where(j => j.End < activatesAt), j => Assert.True(j.Kids[0] == previous, $"instance {j.Instance} put {j.Kids[0]} first at {j.End:O}, before {activatesAt:O}"));
        Assert.All(jwks.Where(j => j.Start > activatesAt), j => Assert.True(j.Kids[0] == kid, $"instance {j.Instance} put {j.Kids[0]} first at {j.Start:O}, after {activatesAt:O}"));
        Assert.All(tokens.Where(t => t.At < activatesAt), t => Assert.True(t.Kid == previous, $"instance {t.Instance} signed with {t.Kid} at {t.At:O}, before {activatesAt:O}"));
        Assert.All(tokens.Where(t => t.Start > activatesAt), t => Assert.True(t.Kid == kid, $"instance {t.Instance} signed with {t.Kid} at {t.Start:O}, after {activatesAt:O}"));
        Assert.All(firstSigned, t => Assert.True(t >= activatesAt, $"signed with {kid} at {t:O}, before it was due at {activatesAt:O}"));
        // Only the rotation created a key: no instance's scheduled pass created another next key.
        var sinceRotation = after.Where(r => r.GetProperty("sequence").GetInt64() > rotated.GetProperty("sequence").GetInt64());
        Assert.DoesNotContain(sinceRotation, r => r.GetProperty("type").GetString() is "key.created" or "key.rotated");
    }

    [Fact]
    public async Task A_backup_restored_into_a_fresh_database_serves_the_same_jwks_verifies_its_audit_chain_and_honours_existing_sessions()
    {
        var session = await cluster.SessionAsync((await cluster.PeopleAsync(1))[0]);
        var database = new NpgsqlConnectionStringBuilder(cluster.Database);
        var source = $"postgres://{database.Username}@{database.Host}:{database.Port}/{database.Database}";

        var restored = await BackupRestoreTestAsync(source, session);
        var unknownSession = await BackupRestoreTestAsync(source, "vs_" + new string('A', 43));

        output.WriteLine(restored.StandardOutput);
        Assert.True(restored.ExitCode == 0, restored.StandardOutput + restored.StandardError);
        Assert.Contains("jwks: the same", restored.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("session: honoured", restored.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(session, restored.StandardOutput + restored.StandardError, StringComparison.Ordinal);
        // The script is a test: a session the restored database does not honour fails it.
        Assert.Equal(1, unknownSession.ExitCode);
        Assert.Contains("answered 401 for a session opened before the backup", unknownSession.StandardError, StringComparison.Ordinal);
    }

    private Task<ProcessResult> BackupRestoreTestAsync(string source, string session)
    {
        var environment = new Dictionary<string, string?>(cluster.Environment)
        {
            ["VOUCH_DATABASE"] = null, ["VOUCH_SERVER"] = RepositoryPaths.ServerBinary, ["VOUCH_RESTORE_SESSION"] = session,
        };
        return ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.Root, "scripts", "backup-restore-test.sh"), source, cluster.InstanceUrl(0) + ApiRoutes.Jwks],
            environment, timeout: TimeSpan.FromSeconds(120));
    }

    /// <summary>
    /// A client that retries: a refused or broken connection, 502 (nginx met the killed instance with a request it
    /// will not send twice) and 503 are tried again after a moment; anything else that is not 200 is a failure, and
    /// so is a 500 ever or a request still failing after 20 tries.
    /// </summary>
    private static async Task<ApiAnswer?> RetryAsync(Func<Task<ApiAnswer>> request, ConcurrentBag<string> retried, ConcurrentBag<string> failed, string step)
    {
        for (var attempt = 1; attempt <= 20; attempt++)
        {
            string why;
            try
            {
                var answer = await request();
                if (answer.Status == HttpStatusCode.OK) return answer;
                if (answer.Status is not (HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable))
                {
                    failed.Add($"{step}: {(int)answer.Status} {answer.Body}");
                    return null;
                }
                why = $"{step} {(int)answer.Status}";
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                why = $"{step} {e.GetType().Name}";
            }
            retried.Add(why);
            await Task.Delay(200);
        }
        failed.Add($"{step}: still failing after 20 tries");
        return null;
    }

    private async Task<(ApiAnswer Answer, double Milliseconds)> TimedTokenAsync(string at, string session)
    {
        var clock = Stopwatch.StartNew();
        var answer = await cluster.TokenAsync(at, session);
        return (answer, clock.Elapsed.TotalMilliseconds);
    }

    private static string? Code(ApiAnswer answer) =>
        answer.Body.ValueKind == JsonValueKind.Object && answer.Body.TryGetProperty("error", out var code) ? code.GetString() : null;

    private static JsonElement Data(JsonElement record) => record.GetProperty("data") is { ValueKind: JsonValueKind.String } data
        ? JsonDocument.Parse(data.GetString()!).RootElement.Clone()
        : record.GetProperty("data");
}
