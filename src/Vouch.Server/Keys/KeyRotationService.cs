using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vouch.Server.Audit;

namespace Vouch.Server.Keys;

/// <summary>
/// Every <see cref="KeyPolicy.RefreshInterval"/>: makes sure a key signs and the next is published, removes keys
/// whose tokens have expired, and re-reads the keys. The first pass runs before the server accepts requests.
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
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is DbException or DbUpdateException or TimeoutException)
            {
                // The database is unreachable for now: keep signing with the keys already loaded.
                Log.RefreshFailed(logger, e);
            }
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
        foreach (var change in await store.EnsureAsync(AuditActors.System, cancellationToken))
            Log.KeyChanged(logger, change.Type, change.Data["kid"]);
        await provider.ReloadAsync(cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "{EventType} {Kid}")]
        public static partial void KeyChanged(ILogger logger, string eventType, string kid);

        [LoggerMessage(2, LogLevel.Warning, "Could not refresh the signing keys; still using the ones loaded")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
