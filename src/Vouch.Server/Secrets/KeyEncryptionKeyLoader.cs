namespace Vouch.Server.Secrets;

/// <summary>
/// Finds the key-encryption key: <c>VOUCH_KEY_ENCRYPTION_KEY</c>, else <c>--key-encryption-key-file</c>, else, in
/// development only, a file beside the SQLite database (<c>vouch.db.kek</c>, mode 0600) created on first use.
/// </summary>
internal static class KeyEncryptionKeyLoader
{
    public const string DevelopmentSuffix = ".kek";

    /// <summary>Where an operator sets the key, for messages that ask for the right one.</summary>
    public static string Settings => $"{SettingNames.KeyEncryptionKey.EnvironmentVariable} or {SettingNames.KeyEncryptionKeyFile.Flag}";

    /// <summary>
    /// The key from <paramref name="key"/> (base64), else <paramref name="keyFile"/>, else in
    /// <paramref name="development"/> mode the file beside <paramref name="sqlitePath"/>; <paramref name="warn"/> hears
    /// that a development key is in use.
    /// </summary>
    public static Outcome<KeyEncryptionKey> Load(string? key, string? keyFile, bool development, string? sqlitePath, Action<string> warn)
    {
        if (!string.IsNullOrWhiteSpace(key))
            return Decode(key, SettingNames.KeyEncryptionKey.ToString());

        if (!string.IsNullOrWhiteSpace(keyFile))
        {
            var path = Path.GetFullPath(keyFile);
            if (!File.Exists(path))
                return SettingProblem.Of($"key-encryption key file {path} ({SettingNames.KeyEncryptionKeyFile}) does not exist");
            return Decode(File.ReadAllText(path), $"{path} ({SettingNames.KeyEncryptionKeyFile})");
        }

        if (!development || sqlitePath is null)
        {
            return SettingProblem.Of(
                $"a key-encryption key is required: set {SettingNames.KeyEncryptionKey} or {SettingNames.KeyEncryptionKeyFile} " +
                "to base64 of 32 random bytes (openssl rand -base64 32)" +
                (development ? "; with PostgreSQL, development mode does not keep one for you" : ""));
        }

        var devPath = sqlitePath + DevelopmentSuffix;
        if (!File.Exists(devPath))
        {
            // A folder this creates is the database's too: the server's user's only (0700), whatever the umask.
            PrivateDirectory.Create(Path.GetDirectoryName(devPath)!);
            var generated = System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes);
            // Create the file 0600 from the start so the key is never readable by others, not even briefly.
            using (var stream = new FileStream(devPath, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.Write,
                       UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                   }))
            using (var writer = new StreamWriter(stream))
            {
                writer.WriteLine(Convert.ToBase64String(generated));
            }
        }
        warn($"development mode: the key-encryption key is kept in {devPath}, beside the database; " +
             $"in production set {SettingNames.KeyEncryptionKey.EnvironmentVariable} instead");
        return Decode(File.ReadAllText(devPath), devPath);
    }

    private static Outcome<KeyEncryptionKey> Decode(string base64, string source)
    {
        var bytes = new byte[KeyEncryptionKey.SizeInBytes + 1];
        if (!Convert.TryFromBase64String(base64.Trim(), bytes, out var written) || written != KeyEncryptionKey.SizeInBytes)
            return SettingProblem.Of($"key-encryption key {source} must be base64 of exactly 32 bytes (openssl rand -base64 32)");
        return new KeyEncryptionKey(bytes.AsSpan(0, written));
    }
}
