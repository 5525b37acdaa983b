using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// Key rotation under load: <c>keys rotate</c> (the <see cref="KeyStore"/> the admin command calls) runs round after
/// round while workers mint tokens, and the server's clock moves until signing really switches to the next key.
/// jose and Ceph RGW's STS verify every token against the JWKS that the in-process server publishes over HTTP at
/// that moment; jose verifies each round's tokens again once their key has retired. RGW cannot: it verifies with the
/// first published key only, which the second test shows.
/// </summary>
[Collection(RgwTests.Name)]
public sealed partial class KeyRotationUnderLoadTests(RgwWorld world, ITestOutputHelper output)
{
    private const int Workers = 4;
    private const int Rounds = 3;

    /// <summary>Tokens minted between two moves of the clock, so that every 30-second pass runs under load.</summary>
    private const int TokensPerTick = 2;

    /// <summary>The longest lifetime the server allows: it leaves the fake clock the most room (see <see cref="_time"/>).</summary>
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The server's time across the rounds: the first switches to the next key published at start-up
    /// <see cref="KeyPolicy.RotationLead"/> (60 s) after its rotation (that key is old enough by then); the second to
    /// the key the first rotation published, once that has been published for <see cref="KeyPolicy.PublishLead"/>;
    /// the third to the key the second published, 60 s later.
    /// </summary>
    private static readonly TimeSpan MintingSpan = KeyPolicy.RotationLead + KeyPolicy.PublishLead;

    // jose and RGW check iat, nbf and exp on the real clock, RGW with no leeway (an iat in the future is refused). The
    // server's clock must cover 14 minutes: 6.5 before the first token (the next key published at start-up must be
    // published that long to take over at once) and 7.5 across the rounds. Started at the real now it would run up to
    // 14 minutes ahead, and RGW would refuse the later tokens. So it starts 14 minutes back and catches up with the real
    // clock without passing it: a token minted at fake time f has iat = f - 60 s, in the real past, and
    // exp = iat + 15 min, at least 6 minutes after the real start of the test, long after this test has verified it.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow - KeyPolicy.PublishLead - MintingSpan);
    private readonly ConcurrentQueue<MintedToken> _tokens = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly List<(DateTimeOffset At, IReadOnlyList<string> Kids)> _published = [];
    private InProcessServer _server = null!;
    private string _role = null!;
    private int _sequence;
    private int _reverified;

    /// <summary>A token a worker minted, in minting order, at the server's time (never printed).</summary>
    private sealed record MintedToken(int Sequence, int Round, DateTimeOffset MintedAt, string Kid, string Token);

    [Fact]
    public async Task Every_token_minted_while_keys_rotate_under_load_verifies_with_jose_and_rgw_and_still_with_jose_once_its_key_retired()
    {
        var wall = Stopwatch.StartNew();
        await using var server = await StartAsync("VouchRotationUnderLoad");
        var store = server.Get<KeyStore>();
        var ring = server.Get<KeyRingProvider>();

        var rotations = new List<RotationResult>();
        for (var round = 1; round <= Rounds; round++)
        {
            var load = new Load(this, round);
            await load.WaitForMintedAsync(Workers);
            // While the workers mint.
            var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);
            rotations.Add(rotation);
            for (var ticks = 0; ring.SignerAt(_time.GetUtcNow())?.Kid != rotation.Kid; ticks++)
            {
                Assert.True(ticks < 20, $"round {round}: signing never switched to {rotation.Kid} (due {rotation.ActivatesAt:O})");
                // RGW 16.2 verifies with the first published key only: it refuses a token of the old key once the new
                // key is first (the test below). The CLI trades each token the moment it gets it; so the move of the
                // clock that makes the switch waits until no worker holds a token RGW has not answered for yet. Only
                // a token minted in the last instant before a switch could meet that. jose (and AWS) take any
                // published key: its checks never wait.
                if (_time.GetUtcNow() + KeyPolicy.RefreshInterval >= rotation.ActivatesAt) await load.PausedAsync(TickAsync);
                else await TickAsync();
                await load.WaitForMintedAsync(load.Minted + TokensPerTick);
            }
            await load.WaitForMintedAsync(load.Minted + Workers);
            await load.StopAsync();
            await ReverifyAsync(round, rotation.PreviousKid!);
        }
        wall.Stop();

        var tokens = _tokens.OrderBy(t => t.Sequence).ToList();
        var kids = tokens.Select(t => t.Kid).Distinct().ToList();
        output.WriteLine($"{Rounds} rounds, {tokens.Count} tokens, {kids.Count} kids; jose {tokens.Count + _reverified} verifications " +
                         $"({_reverified} after their key retired), RGW {tokens.Count}; {_published.Count} JWKS snapshots; {wall.Elapsed.TotalSeconds:F1} s");
        Assert.True(_failures.IsEmpty, $"{_failures.Count} failures:\n{string.Join('\n', _failures.Take(20))}");
        Assert.Equal([rotations[0].PreviousKid!, .. rotations.Select(r => r.Kid)], kids);
        for (var round = 1; round <= Rounds; round++)
        {
            var rotation = rotations[round - 1];
            var minted = tokens.Where(t => t.Round == round).Select(t => t.Kid).ToHashSet();
            Assert.True(minted.SetEquals([rotation.PreviousKid!, rotation.Kid]), $"round {round} did not mint under both the old and the new key");
        }
        Assert.True(_reverified >= Rounds, "no token was verified again after its key retired");
        AssertEveryKeyWasPublishedAsLongAsAVerifierNeedsIt(tokens);
    }

    [Fact]
    public async Task Rgw_refuses_a_token_of_a_key_that_just_retired_as_it_verifies_with_the_first_published_key_only()
    {
        await using var server = await StartAsync("VouchRetiredKey");
        var earlier = Issue();
        var twin = Issue();
        var accepted = await world.Rgw.AssumeRoleWithWebIdentityAsync(_role, twin.Token, "twin");
        var rotation = await server.Get<KeyStore>().RotateAsync(AuditActors.Admin, CancellationToken.None);

        // KeyPolicy.RotationLead: two 30-second passes.
        while (_time.GetUtcNow() < rotation.ActivatesAt) await TickAsync();

        var later = Issue();
        var refused = await world.Rgw.AssumeRoleWithWebIdentityAsync(_role, earlier.Token, "earlier");
        var current = await world.Rgw.AssumeRoleWithWebIdentityAsync(_role, later.Token, "later");

        Assert.True(accepted.Issued, accepted.Error);
        Assert.Equal(rotation.PreviousKid, earlier.Kid);
        Assert.Equal(rotation.Kid, later.Kid);
        Assert.Equal(rotation.Kid, _published[^1].Kids[0]);
        Assert.Contains(earlier.Kid, _published[^1].Kids);
        Assert.Null(await JoseProblemAsync(earlier.Token, earlier.Kid));
        Assert.False(refused.Issued);
        Assert.Equal("AccessDenied (403)", refused.Error);
        Assert.True(current.Issued, current.Error);
    }

    /// <summary>
    /// Starts the server on <see cref="_time"/>, registers it with RGW with a role named <paramref name="role"/> for its
    /// audience, and moves its clock on by <see cref="KeyPolicy.PublishLead"/> before any token: the next key published
    /// at start-up can then take over 30 s after a rotation.
    /// </summary>
    private async Task<InProcessServer> StartAsync(string role)
    {
        _server = await InProcessServer.StartAsync(time: _time,
            configure: settings => settings with { Oidc = settings.Oidc with { TokenLifetime = TokenLifetime } });
        var host = _server.Issuer["http://".Length..];
        await world.Rgw.RegisterIssuerAsync(_server.Issuer, _server.Audience);
        _role = await world.Rgw.CreateRoleAsync(role, _server.Issuer, $"{{\"StringEquals\":{{\"{host}:aud\":\"{_server.Audience}\"}}}}");
        await RecordJwksAsync();
        for (var started = _time.GetUtcNow(); _time.GetUtcNow() < started + KeyPolicy.PublishLead;) await TickAsync();
        return _server;
    }

    private IssuedIdToken Issue(string email = "alice@example.com")
    {
        var issued = _server.Get<IdTokenService>().Issue(new IdTokenRequest { Email = email });
        Assert.True(issued.Succeeded, $"minting failed: {issued.Problem?.Code} {issued.Problem?.Reason}");
        return issued.Value;
    }

    /// <summary>
    /// From the JWKS recorded at every move of the clock: each token's key was published for a whole JWKS
    /// <c>max-age</c> before it signed that token (a verifier's cached JWKS has it), and stayed published to the end.
    /// </summary>
    private void AssertEveryKeyWasPublishedAsLongAsAVerifierNeedsIt(IReadOnlyList<MintedToken> tokens)
    {
        foreach (var group in tokens.GroupBy(t => t.Kid))
        {
            var first = group.Min(t => t.MintedAt);
            var last = group.Max(t => t.MintedAt);
            var before = _published.Where(p => p.At >= first - KeyPolicy.JwksMaxAge && p.At <= first).ToList();
            Assert.True(before.Count >= KeyPolicy.JwksMaxAge / KeyPolicy.RefreshInterval, $"too few JWKS recorded before {group.Key} signed");
            foreach (var jwks in before)
                Assert.True(jwks.Kids.Contains(group.Key), $"{group.Key} signed from {first:O} but was not published at {jwks.At:O}, a JWKS max-age or less before");
            foreach (var jwks in _published.Where(p => p.At >= last))
                Assert.True(jwks.Kids.Contains(group.Key), $"{group.Key} signed until {last:O} but was no longer published at {jwks.At:O}");
        }
    }

    /// <summary>Moves the clock on by one refresh interval and waits for the server's own 30-second pass to re-read the keys.</summary>
    private async Task TickAsync()
    {
        var ring = _server.Get<KeyRingProvider>();
        var loaded = ring.Ring;
        _time.Advance(KeyPolicy.RefreshInterval);
        var waiting = Stopwatch.StartNew();
        while (ReferenceEquals(ring.Ring, loaded))
        {
            Assert.True(waiting.Elapsed < TimeSpan.FromSeconds(30), "the 30-second pass did not re-read the keys");
            await Task.Delay(10);
        }
        await RecordJwksAsync();
    }

    private async Task RecordJwksAsync()
    {
        using var jwks = JsonDocument.Parse(await _server.Client.GetStringAsync(new Uri(_server.JwksUri)));
        _published.Add((_time.GetUtcNow(), jwks.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList()));
    }

    /// <summary>jose verifies again, now that their key has retired, the tokens it signed in <paramref name="round"/>.</summary>
    private async Task ReverifyAsync(int round, string retiredKid)
    {
        Assert.NotEqual(retiredKid, _server.Get<KeyRingProvider>().SignerAt(_time.GetUtcNow())?.Kid);
        var retired = _tokens.Where(t => t.Round == round && t.Kid == retiredKid).ToList();
        await Parallel.ForEachAsync(retired, new ParallelOptions { MaxDegreeOfParallelism = Workers }, async (token, _) =>
        {
            if (await JoseProblemAsync(token.Token, token.Kid) is { } problem)
                _failures.Enqueue($"round {round}, token {token.Sequence} of the retired key {retiredKid}: jose {problem}");
            Interlocked.Increment(ref _reverified);
        });
    }

    /// <summary>Why jose refused <paramref name="token"/>, or did not verify it with <paramref name="kid"/>; null when it verified.</summary>
    private async Task<string?> JoseProblemAsync(string token, string kid)
    {
        var verdict = await NodePeers.VerifyJwtAsync(token, _server.JwksUri, _server.Issuer, _server.Audience);
        if (!verdict.GetProperty("ok").GetBoolean()) return $"{verdict.GetProperty("code")}: {verdict.GetProperty("message")}";
        var header = verdict.GetProperty("header").GetProperty("kid").GetString();
        return header == kid ? null : $"verified with kid {header}, signed with {kid}";
    }
}
