namespace Vouch.Server.Hosting;

/// <summary>
/// The server's settings as read from the configuration file, <c>VOUCH_*</c> environment variables and flags,
/// before validation; <see cref="ServerSettings"/> is the validated form.
/// </summary>
public sealed class VouchServerOptions
{
    /// <summary>Issuer URL, exactly as it appears in <c>iss</c>; <c>https://</c> except on loopback hosts.</summary>
    public string? Issuer { get; set; }

    /// <summary>Default <c>aud</c> of minted tokens; default: the issuer without its scheme.</summary>
    public string? Audience { get; set; }

    /// <summary>The URL Kestrel listens on; default: the issuer's origin for loopback issuers, else http://127.0.0.1:8080.</summary>
    public string? Listen { get; set; }

    /// <summary>A SQLite file path (default <c>vouch.db</c>) or a PostgreSQL connection string or URI.</summary>
    public string? Database { get; set; }

    /// <summary>Development settings: loopback issuer by default and a key-encryption key kept beside the database.</summary>
    public bool Development { get; set; }

    /// <summary>Base64 of 32 random bytes that encrypt the signing keys at rest.</summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>A file holding <see cref="KeyEncryptionKey"/>.</summary>
    public string? KeyEncryptionKeyFile { get; set; }

    /// <summary><c>yubikey</c> (default): only genuine YubiKeys may enroll; <c>any</c>: any authenticator.</summary>
    public string? Attestation { get; set; }

    /// <summary>A PEM file of the roots an attestation must chain to, instead of Yubico's: accept another vendor's keys.</summary>
    public string? AttestationRoots { get; set; }

    /// <summary>A file of the AAGUIDs (one a line) that may enroll, among keys whose attestation chains to the roots.</summary>
    public string? AttestationAaguids { get; set; }

    /// <summary>Lifetime of an ID token in seconds, from <c>iat</c> to <c>exp</c>; 300 to 900, default 600.</summary>
    public int TokenLifetimeSeconds { get; set; } = 600;

    /// <summary>Days a signing key signs before the next one takes over; 1 to 365, default 30.</summary>
    public int KeyRotationDays { get; set; } = 30;

    /// <summary>Put the user's email in tokens as AWS's source identity, which CloudTrail keeps across role chains; default false.</summary>
    public bool SourceIdentity { get; set; }

    /// <summary>PEM file with the TLS certificate and its chain (leaf first); with <see cref="TlsPrivateKey"/>, the server serves https itself.</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>PEM file with the TLS certificate's private key.</summary>
    public string? TlsPrivateKey { get; set; }

    /// <summary>Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.</summary>
    public string? TrustedProxies { get; set; }

    /// <summary>WebAuthn ceremony requests a client address (an IPv6 /64) may make a minute; default 30.</summary>
    public int CeremonyRateLimit { get; set; } = 30;

    /// <summary>Requests a session may make a minute (tokens, session checks, logout); default 300.</summary>
    public int TokenRateLimit { get; set; } = 300;
}
