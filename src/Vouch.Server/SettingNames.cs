namespace Vouch.Server;

/// <summary>One setting's three spellings, so that every validation message can name all of them.</summary>
internal sealed record SettingName(string Key, string? Flag, string EnvironmentVariable)
{
    public override string ToString() =>
        Flag is null
            ? $"{EnvironmentVariable} (\"{Key}\" in the config file)"
            : $"{Flag} ({EnvironmentVariable}, \"{Key}\" in the config file)";
}

/// <summary>
/// Every setting the server reads, with its flag and environment variable; each key is a property of
/// <c>Hosting.VouchServerOptions</c>. Features name their settings from here in their own validation messages.
/// </summary>
internal static class SettingNames
{
    public static readonly SettingName Issuer = new("Issuer", "--issuer", "VOUCH_ISSUER");
    public static readonly SettingName Audience = new("Audience", "--audience", "VOUCH_AUDIENCE");
    public static readonly SettingName Listen = new("Listen", "--listen", "VOUCH_LISTEN");
    public static readonly SettingName Database = new("Database", "--database", "VOUCH_DATABASE");
    public static readonly SettingName Development = new("Development", "--development", "VOUCH_DEVELOPMENT");
    public static readonly SettingName KeyEncryptionKey = new("KeyEncryptionKey", null, "VOUCH_KEY_ENCRYPTION_KEY");
    public static readonly SettingName KeyEncryptionKeyFile = new("KeyEncryptionKeyFile", "--key-encryption-key-file", "VOUCH_KEY_ENCRYPTION_KEY_FILE");
    public static readonly SettingName Attestation = new("Attestation", "--attestation", "VOUCH_ATTESTATION");
    public static readonly SettingName AttestationRoots = new("AttestationRoots", "--attestation-roots", "VOUCH_ATTESTATION_ROOTS");
    public static readonly SettingName AttestationAaguids = new("AttestationAaguids", "--attestation-aaguids", "VOUCH_ATTESTATION_AAGUIDS");
    public static readonly SettingName TokenLifetimeSeconds = new("TokenLifetimeSeconds", null, "VOUCH_TOKEN_LIFETIME_SECONDS");
    public static readonly SettingName KeyRotationDays = new("KeyRotationDays", null, "VOUCH_KEY_ROTATION_DAYS");
    public static readonly SettingName SourceIdentity = new("SourceIdentity", "--source-identity", "VOUCH_SOURCE_IDENTITY");
    public static readonly SettingName TlsCertificate = new("TlsCertificate", "--tls-certificate", "VOUCH_TLS_CERTIFICATE");
    public static readonly SettingName TlsPrivateKey = new("TlsPrivateKey", "--tls-private-key", "VOUCH_TLS_PRIVATE_KEY");
    public static readonly SettingName TrustedProxies = new("TrustedProxies", "--trusted-proxies", "VOUCH_TRUSTED_PROXIES");
    public static readonly SettingName CeremonyRateLimit = new("CeremonyRateLimit", "--ceremony-rate-limit", "VOUCH_CEREMONY_RATE_LIMIT");
    public static readonly SettingName TokenRateLimit = new("TokenRateLimit", "--token-rate-limit", "VOUCH_TOKEN_RATE_LIMIT");

    /// <summary>The settings that environment variables may set.</summary>
    public static readonly IReadOnlyList<SettingName> All =
        [Issuer, Audience, Listen, Database, Development, KeyEncryptionKey, KeyEncryptionKeyFile, Attestation, AttestationRoots, AttestationAaguids, TokenLifetimeSeconds, KeyRotationDays,
         TlsCertificate, TlsPrivateKey, TrustedProxies, CeremonyRateLimit, TokenRateLimit, SourceIdentity];

    /// <summary>The environment variable that names a JSON configuration file.</summary>
    public const string ConfigFileVariable = "VOUCH_CONFIG";
}

/// <summary>A setting that is missing or invalid; the description names it in all its spellings.</summary>
internal static class SettingProblem
{
    public const string Code = "invalid_setting";

    public static Problem Of(string description) => new(Code, description);
}
