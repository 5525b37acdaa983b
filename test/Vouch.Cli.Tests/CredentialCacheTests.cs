using Microsoft.Extensions.Time.Testing;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests;

public sealed class CredentialCacheTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    private AwsCredentials Credentials(string id, TimeSpan lifetime) => new()
    {
        AccessKeyId = id, SecretAccessKey = "secret", SessionToken = "token",
        Expiration = _time.GetUtcNow() + lifetime, RoleArn = "arn:aws:iam::123456789012:role/R", Region = "us-east-1",
    };

    [Fact]
    public async Task Concurrent_requests_for_one_key_share_one_fetch()
    {
        var cache = new CredentialCache(_time);
        var calls = 0;
        var release = new TaskCompletionSource();
        async Task<AwsCredentials> Fetch()
        {
            Interlocked.Increment(ref calls);
            await release.Task;
            return Credentials("AKIA1", TimeSpan.FromHours(1));
        }

        var waiters = Enumerable.Range(0, 50).Select(_ => cache.GetAsync("k", Fetch)).ToList();
        release.SetResult();
        var results = await Task.WhenAll(waiters);

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal("AKIA1", r.AccessKeyId));
    }

    [Fact]
    public async Task A_credential_is_served_while_more_than_fifteen_minutes_remain_then_refreshed()
    {
        var cache = new CredentialCache(_time);
        var n = 0;
        Task<AwsCredentials> Fetch() => Task.FromResult(Credentials("AKIA" + ++n, TimeSpan.FromHours(1)));

        var first = await cache.GetAsync("k", Fetch);
        _time.Advance(TimeSpan.FromMinutes(44));
        var cached = await cache.GetAsync("k", Fetch);
        _time.Advance(TimeSpan.FromMinutes(1));
        var refreshed = await cache.GetAsync("k", Fetch);

        Assert.Equal("AKIA1", first.AccessKeyId);
        Assert.Equal("AKIA1", cached.AccessKeyId);
        Assert.Equal("AKIA2", refreshed.AccessKeyId);
    }

    [Fact]
    public async Task A_failed_fetch_is_not_cached()
    {
        var cache = new CredentialCache(_time);

        await Assert.ThrowsAsync<CliException>(() => cache.GetAsync("k", () => throw new CliException(ExitCodes.AwsRefused, "no")));
        var after = await cache.GetAsync("k", () => Task.FromResult(Credentials("AKIA9", TimeSpan.FromHours(1))));

        Assert.Equal("AKIA9", after.AccessKeyId);
    }

    [Fact]
    public async Task Different_keys_do_not_share_credentials_and_clear_forgets_all()
    {
        var cache = new CredentialCache(_time);
        var a = await cache.GetAsync("a", () => Task.FromResult(Credentials("A", TimeSpan.FromHours(1))));
        var b = await cache.GetAsync("b", () => Task.FromResult(Credentials("B", TimeSpan.FromHours(1))));

        cache.Clear();
        var again = await cache.GetAsync("a", () => Task.FromResult(Credentials("A2", TimeSpan.FromHours(1))));

        Assert.Equal(("A", "B", "A2"), (a.AccessKeyId, b.AccessKeyId, again.AccessKeyId));
    }
}
