namespace Vouch.Server.Web.KeyRing;

/// <summary>
/// One key of ASP.NET Core data protection (it protects the browser's sign-in cookie and the anti-forgery tokens),
/// as the XML the framework writes, with the key material sealed under the key-encryption key.
/// </summary>
public sealed class DataProtectionKeyRecord
{
    /// <summary>The framework's name for the key (<c>key-GUID</c>).</summary>
    public required string FriendlyName { get; init; }

    /// <summary>The key's XML; its secret part is the element <see cref="KeyRingEncryptor"/> wrote.</summary>
    public required string Xml { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
