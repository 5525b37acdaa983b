namespace Vouch.Server.Hosting;

/// <summary>One setting's three spellings, so that every validation message can name all of them.</summary>
internal sealed record SettingName(string Key, string? Flag, string EnvironmentVariable)
{
    public override string ToString() =>
        Flag is null
            ? $"{EnvironmentVariable} (\"{Key}\" in the config file)"
            : $"{Flag} ({EnvironmentVariable}, \"{Key}\" in the config file)";
}

/// <summary>Every setting the server reads, with its flag and environment variable.</summary>
internal static class SettingNames
{
    public static readonly SettingName Issuer = new(nameof(VouchServerOptions.Issuer), "--issuer", "VOUCH_ISSUER");
    public static readonly SettingName Audience = new(nameof(VouchServerOptions.Audience), "--audience", "VOUCH_AUDIENCE");
    public static readonly SettingName Listen = new(nameof(VouchServerOptions.Listen), "--listen", "VOUCH_LISTEN");
    public static readonly SettingName Database = new(nameof(VouchServerOptions.Database), "--database", "VOUCH_DATABASE");
    public static readonly SettingName Development = new(nameof(VouchServerOptions.Development), "--development", "VOUCH_DEVELOPMENT");
    public static readonly SettingName KeyEncryptionKey = new(nameof(VouchServerOptions.KeyEncryptionKey), null, "VOUCH_KEY_ENCRYPTION_KEY");
    public static readonly SettingName KeyEncryptionKeyFile = new(nameof(VouchServerOptions.KeyEncryptionKeyFile), "--key-encryption-key-file", "VOUCH_KEY_ENCRYPTION_KEY_FILE");
    public static readonly SettingName Attestation = new(nameof(VouchServerOptions.Attestation), "--attestation", "VOUCH_ATTESTATION");
    public static readonly SettingName AttestationRoots = new(nameof(VouchServerOptions.AttestationRoots), "--attestation-roots", "VOUCH_ATTESTATION_ROOTS");
    public static readonly SettingName AttestationAaguids = new(nameof(VouchServerOptions.AttestationAaguids), "--attestation-aaguids", "VOUCH_ATTESTATION_AAGUIDS");
    public static readonly SettingName TokenLifetimeSeconds = new(nameof(VouchServerOptions.TokenLifetimeSeconds), null, "VOUCH_TOKEN_LIFETIME_SECONDS");
    public static readonly SettingName KeyRotationDays = new(nameof(VouchServerOptions.KeyRotationDays), null, "VOUCH_KEY_ROTATION_DAYS");
    public static readonly SettingName SourceIdentity = new(nameof(VouchServerOptions.SourceIdentity), "--source-identity", "VOUCH_SOURCE_IDENTITY");
    public static readonly SettingName TlsCertificate = new(nameof(VouchServerOptions.TlsCertificate), "--tls-certificate", "VOUCH_TLS_CERTIFICATE");
    public static readonly SettingName TlsPrivateKey = new(nameof(VouchServerOptions.TlsPrivateKey), "--tls-private-key", "VOUCH_TLS_PRIVATE_KEY");
    public static readonly SettingName TrustedProxies = new(nameof(VouchServerOptions.TrustedProxies), "--trusted-proxies", "VOUCH_TRUSTED_PROXIES");
    public static readonly SettingName CeremonyRateLimit = new(nameof(VouchServerOptions.CeremonyRateLimit), "--ceremony-rate-limit", "VOUCH_CEREMONY_RATE_LIMIT");
    public static readonly SettingName TokenRateLimit = new(nameof(VouchServerOptions.TokenRateLimit), "--token-rate-limit", "VOUCH_TOKEN_RATE_LIMIT");

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
