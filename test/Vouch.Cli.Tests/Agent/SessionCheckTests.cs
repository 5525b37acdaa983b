using Microsoft.Extensions.Time.Testing;
using Vouch.Cli.Agent;
using Xunit;

namespace Vouch.Cli.Tests.Agent;

/// <summary>When the agent asks the server whether a session still stands, on a clock the test moves.</summary>
public sealed class SessionCheckTests
{
    private readonly FakeTimeProvider _time = new();
    private int _asked;

    private SessionCheck ConfirmedNow() => new(_time, _time.GetUtcNow());

    /// <summary>A check whose last confirmation is just older than the interval.</summary>
    private SessionCheck Due()
    {
        var check = ConfirmedNow();
        _time.Advance(SessionCheck.Interval + TimeSpan.FromMilliseconds(1));
        return check;
    }

    private Task Ask()
    {
        Interlocked.Increment(ref _asked);
        return Task.CompletedTask;
    }

    private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A question the server answers only when the test completes <see cref="_answer"/>.</summary>
    private Task Held()
    {
        Interlocked.Increment(ref _asked);
        return _answer.Task;
    }

    private static Func<Task> Unreachable() =>
        () => Task.FromException(new CliException(FailureKind.ServerUnreachable, "cannot reach the Vouch server at https://vouch.example.com: connection refused"));

    [Fact]
    public async Task A_confirmation_younger_than_the_interval_is_not_asked_again()
    {
        var check = ConfirmedNow();
        _time.Advance(SessionCheck.Interval);

        await check.EnsureAsync(Ask);

        Assert.Equal(0, _asked);
    }

    [Fact]
    public async Task An_older_confirmation_is_asked_again_and_then_holds_for_the_interval()
    {
        var check = Due();

        await check.EnsureAsync(Ask);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await check.EnsureAsync(Ask);

        Assert.Equal(1, _asked);
    }

    [Fact]
    public async Task Concurrent_askers_share_one_question()
    {
        var check = Due();

        var askers = Enumerable.Range(0, 8).Select(_ => check.EnsureAsync(Held)).ToList();
        await Task.Delay(50);
        Assert.All(askers, asker => Assert.False(asker.IsCompleted));
        _answer.SetResult();
        await Task.WhenAll(askers);

        Assert.Equal(1, _asked);
    }

    [Fact]
    public async Task A_refusal_reaches_every_asker_that_shared_the_question_and_the_next_asker_asks_again()
    {
        var check = Due();

        var first = check.EnsureAsync(Held);
        var second = check.EnsureAsync(Held);
        _answer.SetException(new CliException(FailureKind.NotLoggedIn, "session revoked (session_revoked)"));

        Assert.Equal(ExitCodes.NotLoggedIn, (await Assert.ThrowsAsync<CliException>(() => first)).ExitCode);
        Assert.Equal(ExitCodes.NotLoggedIn, (await Assert.ThrowsAsync<CliException>(() => second)).ExitCode);
        await Assert.ThrowsAsync<CliException>(() => check.EnsureAsync(Held));
        Assert.Equal(2, _asked);
    }

    [Fact]
    public async Task An_unreachable_server_is_tolerated_within_the_offline_grace_after_the_last_confirmation()
    {
        var check = ConfirmedNow();
        _time.Advance(SessionCheck.OfflineGrace);

        await check.EnsureAsync(Unreachable());
    }

    [Fact]
    public async Task An_unreachable_server_stops_the_session_counting_once_the_offline_grace_has_passed()
    {
        var check = ConfirmedNow();
        _time.Advance(TimeSpan.FromMinutes(4));
        await check.EnsureAsync(Unreachable());
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        var failure = await Assert.ThrowsAsync<CliException>(() => check.EnsureAsync(Unreachable()));

        Assert.Equal(ExitCodes.ServerUnreachable, failure.ExitCode);
        Assert.StartsWith("cannot reach the Vouch server at https://vouch.example.com: connection refused", failure.Message, StringComparison.Ordinal);
        Assert.Contains("for 5 minutes after it last confirmed your session", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_issued_for_the_session_counts_as_a_confirmation()
    {
        var check = ConfirmedNow();
        _time.Advance(TimeSpan.FromMinutes(10));

        check.Confirmed();
        await check.EnsureAsync(Ask);
        _time.Advance(TimeSpan.FromMinutes(4));
        await check.EnsureAsync(Unreachable());

        Assert.Equal(0, _asked);
    }
}
