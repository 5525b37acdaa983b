using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vouch.Server.Persistence;

namespace Vouch.Server.Hosting;

/// <summary>
/// Whether this instance reaches its database, as <c>/healthz</c> reports it: one <c>SELECT 1</c> every
/// <see cref="ProbeInterval"/> (2 s) in the background, each given <see cref="ProbeTimeout"/> (2 s), whatever the
/// number of probes. <c>/healthz</c> reads the last result and never touches the database, so a load balancer
/// probing it often costs nothing; a failure shows within about 4 s and a recovery within 2 s. Assumed reachable
/// at start: the server has just read its keys from the database before it listens.
/// </summary>
public sealed partial class DatabaseHealth(VouchDbContextFactory factory, TimeProvider time, ILogger<DatabaseHealth> logger) : BackgroundService
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private volatile bool _reachable = true;

    /// <summary>Whether the last probe reached the database.</summary>
    public bool Reachable => _reachable;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var reachable = await ProbeAsync(stoppingToken);
            if (reachable == _reachable) continue;
            _reachable = reachable;
            if (reachable) Log.Reachable(logger);
            else
            {
                // Every pooled connection may be dead (PostgreSQL restarted): start afresh once it is back.
                DatabaseOutages.ForgetPooledConnections();
            }
        }
    }

    private async Task<bool> ProbeAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await using var db = factory.CreateDbContext();
            await db.Database.ExecuteSqlRawAsync("SELECT 1", timeout.Token);
            return true;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested && (e is DbException or OperationCanceledException or TimeoutException || DatabaseOutages.IsOutage(e)))
        {
            // Logged at the change only: a probe every 2 s would otherwise fill the log during an outage.
            if (_reachable) Log.Unreachable(logger, e.GetType().Name, e.Message);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The database cannot be reached ({Error}: {Message}); /healthz answers 503 until it can")]
        public static partial void Unreachable(ILogger logger, string error, string message);

        [LoggerMessage(2, LogLevel.Information, "The database can be reached again")]
        public static partial void Reachable(ILogger logger);
    }
}
