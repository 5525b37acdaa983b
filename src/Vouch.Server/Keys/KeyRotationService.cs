using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vouch.Server.Audit;

namespace Vouch.Server.Keys;

/// <summary>
/// Every <see cref="KeyPolicy.RefreshInterval"/>: makes sure a key signs and the next is published, removes keys
/// whose tokens have expired, and re-reads the keys. The first pass runs before the server accepts requests, and
/// its failure stops the server (a wrong key-encryption key, an unreachable database). Later passes never stop
/// it: whatever goes wrong is logged, and the instance keeps serving the keys it last loaded.
/// </summary>
public sealed partial class KeyRotationService(KeyStore store, KeyRingProvider provider, TimeProvider time, ILogger<KeyRotationService> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RunOnceAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(KeyPolicy.RefreshInterval, time);
        while (await NextTickAsync(timer, stoppingToken))
        {
            // Each step on its own: keys another instance rotated are still read when this one cannot change them.
            await SurviveAsync(() => EnsureAsync(stoppingToken), stoppingToken);
            await SurviveAsync(() => provider.ReloadAsync(stoppingToken), stoppingToken);
        }
    }

    private async Task SurviveAsync(Func<Task> step, CancellationToken stoppingToken)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Not a catch-all that hides: the exception is logged in full. One bad pass (the database away, a key
            // sealed with another key-encryption key, a bug) must not take down an instance that can still sign.
            Log.RefreshFailed(logger, e);
        }
    }

    /// <summary>False once the server stops (or never started: the host then disposes the service without stopping it).</summary>
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken);
        await provider.ReloadAsync(cancellationToken);
    }

    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        foreach (var change in await store.EnsureAsync(AuditActors.System, cancellationToken))
            Log.KeyChanged(logger, change.Type, change.Data["kid"]);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "{EventType} {Kid}")]
        public static partial void KeyChanged(ILogger logger, string eventType, string kid);

        [LoggerMessage(2, LogLevel.Error, "Could not refresh the signing keys; still serving the ones last loaded")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
