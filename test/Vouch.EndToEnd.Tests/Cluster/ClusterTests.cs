using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using Vouch.Protocol;
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
public sealed partial class ClusterTests(VouchCluster cluster, ClusterRgw clusterRgw, ITestOutputHelper output) : IClassFixture<ClusterRgw>
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
