using System.Security.Cryptography;
using Vouch.Server.Secrets;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.WebAuthn;
using Vouch.Testing;

namespace Vouch.Server.Tests;

/// <summary>
/// A SQLite database in a temporary directory, with its key-encryption key, where users enroll through an in-process
/// server that is stopped again before the admin commands under test run on the file.
/// </summary>
public sealed class EnrolledDatabase : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes);

    /// <summary>The directory that holds the database (the working directory of a command run on it).</summary>
    public string Directory => _directory.Path;

    /// <summary>The SQLite file, as <c>--database</c> takes it.</summary>
    public string File => _directory.File("vouch.db");

    /// <summary>The key-encryption key, as <c>VOUCH_KEY_ENCRYPTION_KEY</c> takes it.</summary>
    public string KeyEncryptionKeyBase64 => Convert.ToBase64String(_kek);

    /// <summary>An in-process server on this database (accepting any attestation), as it was first started.</summary>
    public Task<InProcessServer> StartServerAsync() => InProcessServer.StartAsync(
        DatabaseSettings.Parse(File), keyEncryptionKey: new KeyEncryptionKey(_kek), attestation: AttestationPolicy.Any);

    /// <summary>Starts a server on this database, lets <paramref name="enroll"/> use it, and stops it.</summary>
    public async Task EnrollAsync(Func<InProcessServer, Task> enroll)
    {
        await using var server = await StartServerAsync();
        await enroll(server);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
