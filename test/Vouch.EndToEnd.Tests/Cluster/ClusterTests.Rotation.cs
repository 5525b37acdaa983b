using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Npgsql;
using Vouch.Protocol;
using Vouch.Server.Keys;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests.Cluster;

// A key rotated under load across the instances.
public sealed partial class ClusterTests
{
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
}
