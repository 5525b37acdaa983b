using Microsoft.Extensions.Logging;
using Vouch.Server.Secrets;

namespace Vouch.Server.Keys;

/// <summary>
/// Holds this instance's copy of the signing keys, re-read from the database by <see cref="KeyRotationService"/>.
/// Requests never touch the database for keys. Every key is opened with the key-encryption key before it is
/// published; private keys are kept only for keys that sign now or will. A key that cannot be opened is logged
/// and keeps its place in the schedule without being published: a next key that cannot be opened is skipped,
/// and while the current key cannot be opened this instance signs nothing rather than sign with another key.
/// </summary>
public sealed partial class KeyRingProvider(SigningKeyReader reader, KeyEncryptionKey keyEncryptionKey, TimeProvider time, ILogger<KeyRingProvider> logger)
{
    private volatile KeySchedule<SigningKey>? _ring;
    private string? _lastCurrentKid;
    private readonly HashSet<(string Kid, DateTimeOffset ActivatesAt)> _reported = [];

    public bool IsReady => _ring is not null;

    /// <summary>The keys as last read; throws before the first read (the server does not listen until then).</summary>
    public KeySchedule<SigningKey> Ring => _ring ?? throw new InvalidOperationException("signing keys are not loaded yet");

    /// <summary>The key that signs at <paramref name="now"/> if this instance can sign with it, else null.</summary>
    public SigningKey? SignerAt(DateTimeOffset now) => _ring?.CurrentAt(now) is { Credentials: not null } key ? key : null;

    /// <summary>Why this instance cannot sign at <paramref name="now"/>, for logs and operators; null when it can.</summary>
    public string? SigningProblemAt(DateTimeOffset now) => _ring?.CurrentAt(now) switch
    {
        null => "no signing key is loaded yet",
        { Credentials: not null } => null,
        { Problem: { } problem } key => $"the current signing key {key.Kid} cannot be used: {problem}",
        var key => $"the current signing key {key.Kid} was loaded without its private key",
    };

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var records = await reader.LoadAsync(cancellationToken);
        var now = time.GetUtcNow();
        var schedule = new KeySchedule<SigningKeyRecord>(records);
        var previous = _ring?.Keys.ToDictionary(k => (k.Kid, k.ActivatesAt)) ?? [];
        var keys = new List<SigningKey>(records.Count);
        foreach (var record in records)
        {
            var status = schedule.StatusAt(record, now);
            if (status == KeyStatus.Expired) continue;
            var forSigning = status is KeyStatus.Current or KeyStatus.Next;
            if (previous.TryGetValue((record.Kid, record.ActivatesAt), out var loaded) && loaded.Usable && (loaded.Credentials is not null || !forSigning))
            {
                keys.Add(loaded);
                continue;
            }
            var key = SigningKey.Load(record, keyEncryptionKey, forSigning);
            if (key.Problem is { } problem && _reported.Add((record.Kid, record.ActivatesAt)))
            {
                if (status == KeyStatus.Current) Log.CurrentKeyUnusable(logger, record.Kid, problem, KeyEncryptionKeyLoader.Settings);
                else Log.KeySkipped(logger, status.ToString().ToLowerInvariant(), record.Kid, problem);
            }
            keys.Add(key);
        }

        var ring = new KeySchedule<SigningKey>(keys);
        _ring = ring;
        var current = ring.CurrentAt(now)?.Kid;
        if (current != _lastCurrentKid)
        {
            _lastCurrentKid = current;
            Log.Signing(logger, current ?? "(none)", keys.Count(k => k.Usable));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Signing with key {Kid}; {Count} keys loaded")]
        public static partial void Signing(ILogger logger, string kid, int count);

        [LoggerMessage(2, LogLevel.Critical, "Not signing any token: the current signing key {Kid} cannot be used ({Problem}); check {Settings} or run 'vouch-server keys rotate' with the right key-encryption key")]
        public static partial void CurrentKeyUnusable(ILogger logger, string kid, string problem, string settings);

        [LoggerMessage(3, LogLevel.Error, "Skipping the {Status} signing key {Kid}: {Problem}; it is neither published nor used to sign")]
        public static partial void KeySkipped(ILogger logger, string status, string kid, string problem);
    }
}
