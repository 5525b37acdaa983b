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
        async Task<AwsCredentials> Fetch(CancellationToken cancellationToken)
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
        Task<AwsCredentials> Fetch(CancellationToken cancellationToken) => Task.FromResult(Credentials("AKIA" + ++n, TimeSpan.FromHours(1)));

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

        await Assert.ThrowsAsync<CliException>(() => cache.GetAsync("k", _ => throw new CliException(FailureKind.AwsRefused, "no")));
        var after = await cache.GetAsync("k", _ => Task.FromResult(Credentials("AKIA9", TimeSpan.FromHours(1))));

        Assert.Equal("AKIA9", after.AccessKeyId);
    }

    [Fact]
    public async Task Different_keys_do_not_share_credentials_and_closing_forgets_all_and_refuses_with_the_reason()
    {
        var cache = new CredentialCache(_time);
        var a = await cache.GetAsync("a", _ => Task.FromResult(Credentials("A", TimeSpan.FromHours(1))));
        var b = await cache.GetAsync("b", _ => Task.FromResult(Credentials("B", TimeSpan.FromHours(1))));

        cache.Close(new CliException(FailureKind.NotLoggedIn, "logged out"));
        var fetched = false;
        var after = await Assert.ThrowsAsync<CliException>(() => cache.GetAsync("a", _ =>
        {
            fetched = true;
            return Task.FromResult(Credentials("A2", TimeSpan.FromHours(1)));
        }));

        Assert.Equal(("A", "B"), (a.AccessKeyId, b.AccessKeyId));
        Assert.False(cache.Holds("a"));
        Assert.False(fetched);
        Assert.Equal((ExitCodes.NotLoggedIn, "logged out"), (after.ExitCode, after.Message));
    }

    [Fact]
    public async Task Closing_during_a_fetch_cancels_it_answers_every_waiter_with_the_reason_and_keeps_nothing()
    {
        var cache = new CredentialCache(_time);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = false;
        async Task<AwsCredentials> Fetch(CancellationToken cancellationToken)
        {
            using (cancellationToken.Register(() => cancelled = true))
            {
                started.SetResult();
                // Like an STS answer already on its way: it arrives whatever the token says.
                await release.Task;
            }
            return Credentials("AKIALATE", TimeSpan.FromHours(1));
        }

        var waiters = Enumerable.Range(0, 3).Select(_ => cache.GetAsync("k", Fetch)).ToList();
        await started.Task;
        var fetching = cache.Fetching("k") ?? throw new InvalidOperationException("no fetch under way");
        cache.Close(new CliException(FailureKind.NotLoggedIn, "logged out while fetching"));
        var failures = new List<CliException>();
        foreach (var waiter in waiters) failures.Add(await Assert.ThrowsAsync<CliException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(10))));
        release.SetResult();
        // The fetch brings its late answer back: by the time it completes, that answer has been dropped or kept.
        Assert.Equal("AKIALATE", (await fetching.WaitAsync(TimeSpan.FromSeconds(10))).AccessKeyId);

        Assert.True(cancelled);
        Assert.All(failures, f => Assert.Equal((ExitCodes.NotLoggedIn, "logged out while fetching"), (f.ExitCode, f.Message)));
        Assert.False(cache.Holds("k"));
    }
}
