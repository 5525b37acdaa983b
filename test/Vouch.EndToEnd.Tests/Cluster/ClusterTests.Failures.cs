using System.Collections.Concurrent;
using System.Net;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests.Cluster;

// Killed connections, a restarted PostgreSQL and a killed instance under load.
public sealed partial class ClusterTests
{
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
}
