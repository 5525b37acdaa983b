using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Keys;

/// <summary>The background pass that keeps the schedule and re-reads the keys, driven by a fake clock.</summary>
public sealed class KeyRotationServiceTests : IAsyncLifetime
{
    private static readonly KeyPolicy Policy = new(TimeSpan.FromDays(30));
    private readonly TemporaryDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly KeyEncryptionKey _kek = KeyEncryptionKey.Generate();
    private VouchDbContextFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _factory = new VouchDbContextFactory(DatabaseSettings.Parse(_directory.File("vouch.db")));
        await new DatabaseMigrator(_factory).MigrateAsync(CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
        _kek.Dispose();
        return Task.CompletedTask;
    }

    private KeyStore Store(TimeProvider time) =>
        new(_factory, new AuditLog(_factory, _time, new AuditKey(_kek)), time, Policy, new SigningKeyFactory(_kek));

    /// <summary>The clock of one store only: once told to, it throws, as a store failing in a way nobody planned for would.</summary>
    private sealed class BreakableClock(TimeProvider inner) : TimeProvider
    {
        public bool Broken { get; set; }

        public override DateTimeOffset GetUtcNow() => Broken ? throw new InvalidOperationException("the store broke") : inner.GetUtcNow();
    }

    private sealed class RecordingLogger<T> : ILogger<T>
    {
        public List<(LogLevel Level, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries) Entries.Add((logLevel, exception));
        }
    }

    /// <summary>
    /// Moves the fake clock on a refresh interval at a time until <paramref name="condition"/> holds, waiting a little
    /// on the real clock after each tick for the pass it set off (the loop starts its timer on its own thread).
    /// </summary>
    private async Task TickUntilAsync(Func<bool> condition)
    {
        for (var ticks = 0; !condition(); ticks++)
        {
            Assert.True(ticks < 100, "the background pass never got there");
            _time.Advance(KeyPolicy.RefreshInterval);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task The_loop_survives_a_store_that_throws_and_keeps_reading_and_serving_the_keys()
    {
        var clock = new BreakableClock(_time);
        var ring = new KeyRingProvider(new SigningKeyReader(_factory), _kek, _time, NullLogger<KeyRingProvider>.Instance);
        var logger = new RecordingLogger<KeyRotationService>();
        using var service = new KeyRotationService(Store(clock), ring, _time, logger);
        await service.StartAsync(CancellationToken.None);
        var signer = ring.SignerAt(_time.GetUtcNow())!.Kid;
        clock.Broken = true;
        // Meanwhile another instance rotates; this one must still pick that up.
        var rotation = await Store(_time).RotateAsync("admin:alice", CancellationToken.None);

        await TickUntilAsync(() => ring.Ring.Keys.Any(k => k.Kid == rotation.NextKid));
        await TickUntilAsync(() => logger.Entries.Count(e => e.Exception is InvalidOperationException) >= 2);

        Assert.False(service.ExecuteTask!.IsCompleted);
        Assert.All(logger.Entries.Where(e => e.Exception is not null), e => Assert.Equal(LogLevel.Error, e.Level));
        Assert.Equal(rotation.Kid, ring.SignerAt(rotation.ActivatesAt)!.Kid);
        Assert.Equal(_time.GetUtcNow() < rotation.ActivatesAt ? signer : rotation.Kid, ring.SignerAt(_time.GetUtcNow())!.Kid);
        await service.StopAsync(CancellationToken.None);
    }
}
