using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Vouch.Server.Secrets;

/// <summary>
/// Random bearer secrets (invite codes, session tokens): a readable prefix and 24 random bytes, base64url. Only
/// their SHA-256 is stored, so a database leak yields nothing to present.
/// </summary>
public static class OpaqueSecret
{
    public const int RandomBytes = 24;

    private static readonly System.Buffers.SearchValues<char> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static string Generate(string prefix) => prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(RandomBytes));

    /// <summary>Lowercase hex SHA-256 of the secret, as stored and looked up.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>True when <paramref name="value"/> has the shape of a secret with <paramref name="prefix"/> (cheap to refuse junk early).</summary>
    public static bool HasShape(string? value, string prefix) =>
        value is not null && value.Length == prefix.Length + 32 && value.StartsWith(prefix, StringComparison.Ordinal) &&
        value.AsSpan(prefix.Length).IndexOfAnyExcept(Base64UrlAlphabet) < 0;
}
