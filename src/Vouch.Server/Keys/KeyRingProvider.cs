using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Vouch.Server.Keys;

/// <summary>
/// Holds this instance's copy of the signing keys, re-read from the database by <see cref="KeyRotationService"/>.
/// Requests never touch the database for keys. Private keys are decrypted only for keys that sign now or will.
/// </summary>
public sealed partial class KeyRingProvider(SigningKeyReader reader, KeyEncryptionKey keyEncryptionKey, TimeProvider time, ILogger<KeyRingProvider> logger)
{
    private volatile KeySchedule<SigningKey>? _ring;
    private string? _lastCurrentKid;

    public bool IsReady => _ring is not null;

    /// <summary>The keys as last read; throws before the first read (the server does not listen until then).</summary>
    public KeySchedule<SigningKey> Ring => _ring ?? throw new InvalidOperationException("signing keys are not loaded yet");

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
            var needsPrivate = status is KeyStatus.Current or KeyStatus.Next;
            if (previous.TryGetValue((record.Kid, record.ActivatesAt), out var loaded) && (loaded.Credentials is not null || !needsPrivate))
            {
                keys.Add(loaded);
                continue;
            }
            if (needsPrivate && record.KeyEncryptionKeyId != keyEncryptionKey.Id)
            {
                Log.WrongKeyEncryptionKey(logger, record.Kid, record.KeyEncryptionKeyId, keyEncryptionKey.Id);
                throw new KeyEncryptionKeyMismatchException(record.Kid, record.KeyEncryptionKeyId, keyEncryptionKey.Id);
            }
            keys.Add(new SigningKey(record, needsPrivate ? keyEncryptionKey : null));
        }

        var ring = new KeySchedule<SigningKey>(keys);
        _ring = ring;
        var current = ring.CurrentAt(now)?.Kid;
        if (current != _lastCurrentKid)
        {
            _lastCurrentKid = current;
            Log.Signing(logger, current ?? "(none)", keys.Count);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Signing with key {Kid}; {Count} keys loaded")]
        public static partial void Signing(ILogger logger, string kid, int count);

        [LoggerMessage(2, LogLevel.Critical, "Signing key {Kid} was sealed with key-encryption key {StoredKekId}, but the configured one is {ConfiguredKekId}")]
        public static partial void WrongKeyEncryptionKey(ILogger logger, string kid, string storedKekId, string configuredKekId);
    }
}

/// <summary>The configured key-encryption key is not the one that sealed the stored signing keys.</summary>
public sealed class KeyEncryptionKeyMismatchException(string kid, string storedKekId, string configuredKekId)
    : CryptographicException(
        $"signing key {kid} was sealed with key-encryption key {storedKekId}, but the configured key-encryption key is " +
        $"{configuredKekId}: start the server with the key-encryption key it was first started with");
