using System.Text.RegularExpressions;

namespace Vouch.Server.Users;

/// <summary>
/// A user's email address, normalized to lowercase. Deliberately stricter than RFC 5322: it becomes the token's
/// <c>sub</c>, an AWS session tag and a <c>RoleSessionName</c>, which accept only a plain character set.
/// </summary>
public sealed partial record EmailAddress
{
    private EmailAddress(string value, string domain) => (Value, Domain) = (value, domain);

    public string Value { get; }

    /// <summary>The part after '@', the default organization domain (<c>hd</c>).</summary>
    public string Domain { get; }

    public static EmailAddress? TryParse(string? text)
    {
        if (text is null || text.Length > 254) return null;
        var value = text.Trim().ToLowerInvariant();
        if (!Shape().IsMatch(value)) return null;
        var at = value.IndexOf('@', StringComparison.Ordinal);
        return at > 64 ? null : new EmailAddress(value, value[(at + 1)..]);
    }

    /// <summary>True for a DNS domain such as <c>example.com</c> (lowercase labels of letters, digits and '-').</summary>
    public static bool IsDomain(string? text) => text is { Length: > 0 and <= 253 } && DomainShape().IsMatch(text);

    public override string ToString() => Value;

    [GeneratedRegex(@"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    [GeneratedRegex(@"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainShape();
}
