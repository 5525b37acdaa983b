namespace Vouch.Cli.Aws;

/// <summary>
/// The agent's memory-only cache of AWS credentials for one session. A cached credential is served while it has more
/// than <see cref="MinimumRemaining"/> left (botocore and the .NET SDK refresh 15 minutes before expiry, so less would
/// make them call us on every request). Concurrent requests for the same key share one fetch. <see cref="Close"/>
/// (logout, a new login, the session's end) forgets everything and cancels the fetches under way: what they bring
/// back is dropped, and everyone waiting for them, or asking later, gets the reason instead.
/// </summary>
public sealed class CredentialCache(TimeProvider time) : IDisposable
{
    public static readonly TimeSpan MinimumRemaining = TimeSpan.FromMinutes(15);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, AwsCredentials> _values = [];
    private readonly Dictionary<string, Task<AwsCredentials>> _inFlight = [];
    private readonly CancellationTokenSource _closing = new();
    private CliException? _closedBecause;

    /// <summary>True when <see cref="GetAsync"/> would answer <paramref name="key"/> from memory, without a fetch.</summary>
    public bool Holds(string key)
    {
        lock (_gate) return Servable(key) is not null;
    }

    /// <summary>
    /// The credentials for <paramref name="key"/>: cached, or from <paramref name="fetch"/> (shared with every concurrent
    /// asker), whose token is cancelled when the cache is closed.
    /// </summary>
    public async Task<AwsCredentials> GetAsync(string key, Func<CancellationToken, Task<AwsCredentials>> fetch)
    {
        Task<AwsCredentials> pending;
        CancellationToken closing;
        lock (_gate)
        {
            if (_closedBecause is { } reason) throw Copy(reason);
            if (Servable(key) is { } cached) return cached;
            // Taken while open: Close marks the cache closed under this lock before it cancels and disposes the source.
            closing = _closing.Token;
            if (!_inFlight.TryGetValue(key, out pending!))
            {
                pending = FetchAsync(key, fetch, closing);
                // The fetch may already have finished (and removed itself); only a running one is shared.
                if (!pending.IsCompleted) _inFlight[key] = pending;
            }
        }
        try
        {
            return await pending.WaitAsync(closing).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            CliException reason;
            lock (_gate) reason = _closedBecause!;
            throw Copy(reason);
        }
    }

    /// <summary>
    /// Forgets every credential, cancels the fetches under way and answers everyone waiting for them, and every later
    /// request, with <paramref name="reason"/>; closing again changes nothing.
    /// </summary>
    public void Close(CliException reason)
    {
        lock (_gate)
        {
            if (_closedBecause is not null) return;
            _closedBecause = reason;
            _values.Clear();
            _inFlight.Clear();
        }
        // Outside the lock: cancellation runs the waiters' continuations.
        _closing.Cancel();
        _closing.Dispose();
    }

    /// <summary>Closes the cache (the agent stops) unless it is closed already.</summary>
    public void Dispose() => Close(new CliException(FailureKind.Failed, "the vouch agent stopped while the AWS credentials were being fetched"));

    /// <summary>The fetch under way for <paramref name="key"/>, if any; it completes once its result is kept or dropped (for tests).</summary>
    internal Task<AwsCredentials>? Fetching(string key)
    {
        lock (_gate) return _inFlight.GetValueOrDefault(key);
    }

    /// <summary>A fresh exception for each asker: one instance thrown from several tasks would mix their stack traces.</summary>
    private static CliException Copy(CliException reason) => new(reason.Kind, reason.Message) { ServerError = reason.ServerError };

    private AwsCredentials? Servable(string key) =>
        _values.TryGetValue(key, out var cached) && cached.Expiration - time.GetUtcNow() > MinimumRemaining ? cached : null;

    private async Task<AwsCredentials> FetchAsync(string key, Func<CancellationToken, Task<AwsCredentials>> fetch, CancellationToken closing)
    {
        try
        {
            var credentials = await fetch(closing).ConfigureAwait(false);
            lock (_gate)
            {
                // Closed meanwhile (a logout while STS answered): dropped, never cached.
                if (_closedBecause is null) _values[key] = credentials;
            }
            return credentials;
        }
        finally
        {
            lock (_gate) _inFlight.Remove(key);
        }
    }
}
