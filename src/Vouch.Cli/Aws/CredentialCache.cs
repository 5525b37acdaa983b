namespace Vouch.Cli.Aws;

/// <summary>
/// The agent's memory-only cache of AWS credentials. A cached credential is served while it has more than
/// <see cref="MinimumRemaining"/> left (botocore and the .NET SDK refresh 15 minutes before expiry, so less would
/// make them call us on every request). Concurrent requests for the same key share one STS call.
/// </summary>
public sealed class CredentialCache(TimeProvider time)
{
    public static readonly TimeSpan MinimumRemaining = TimeSpan.FromMinutes(15);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, AwsCredentials> _values = [];
    private readonly Dictionary<string, Task<AwsCredentials>> _inFlight = [];

    /// <summary>True when <see cref="GetAsync"/> would answer <paramref name="key"/> from memory, without calling STS.</summary>
    public bool Holds(string key)
    {
        lock (_gate) return Servable(key) is not null;
    }

    public Task<AwsCredentials> GetAsync(string key, Func<Task<AwsCredentials>> fetch)
    {
        lock (_gate)
        {
            if (Servable(key) is { } cached) return Task.FromResult(cached);
            if (_inFlight.TryGetValue(key, out var pending)) return pending;
            var task = FetchAsync(key, fetch);
            // The fetch may already have finished (and removed itself); only a running one is shared.
            if (!task.IsCompleted) _inFlight[key] = task;
            return task;
        }
    }

    /// <summary>Forgets everything (logout, or another user logged in).</summary>
    public void Clear()
    {
        lock (_gate) _values.Clear();
    }

    private AwsCredentials? Servable(string key) =>
        _values.TryGetValue(key, out var cached) && cached.Expiration - time.GetUtcNow() > MinimumRemaining ? cached : null;

    private async Task<AwsCredentials> FetchAsync(string key, Func<Task<AwsCredentials>> fetch)
    {
        try
        {
            var credentials = await fetch().ConfigureAwait(false);
            lock (_gate) _values[key] = credentials;
            return credentials;
        }
        finally
        {
            lock (_gate) _inFlight.Remove(key);
        }
    }
}
