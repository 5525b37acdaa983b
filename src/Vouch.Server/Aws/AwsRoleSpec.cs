using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vouch.Server.Users;

namespace Vouch.Server.Aws;

/// <summary>
/// What <c>vouch-server aws setup</c> generates: AWS's OIDC provider for this issuer, and one role that trusts it
/// for tokens with this server's audience, optionally only for some emails or domains.
/// </summary>
public sealed partial record AwsRoleSpec
{
    /// <summary>The issuer URL, as in <c>iss</c>.</summary>
    public required string Issuer { get; init; }

    /// <summary>The client id AWS registers: the tokens' <c>aud</c>.</summary>
    public required string Audience { get; init; }

    /// <summary>The SHA-1 of the issuer's top intermediate certificate, lowercase hex (see <see cref="IssuerThumbprint"/>).</summary>
    public required string Thumbprint { get; init; }

    /// <summary>Default <c>VouchDeveloper</c>.</summary>
    public string RoleName { get; init; } = "VouchDeveloper";

    /// <summary>The 12-digit account id; null when unknown (each format then looks it up); empty for Ceph RGW, whose ARNs have none.</summary>
    public string? AccountId { get; init; }

    /// <summary>Only these users (<c>sub</c> equals), in addition to <see cref="Domains"/>.</summary>
    public IReadOnlyList<string> Emails { get; init; } = [];

    /// <summary>Only users of these domains (<c>sub</c> like <c>*@domain</c>), in addition to <see cref="Emails"/>.</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];

    /// <summary>Managed policies attached to the role.</summary>
    public IReadOnlyList<string> PolicyArns { get; init; } = [];

    /// <summary>The role's longest session, in seconds (3600 to 43200; default 3600).</summary>
    public int MaxSessionDuration { get; init; } = 3600;

    /// <summary>Whether tokens carry a source identity, which the trust policy must then allow (<c>sts:SetSourceIdentity</c>).</summary>
    public bool SourceIdentity { get; init; }

    /// <summary>The provider's name in IAM and the prefix of its condition keys: the issuer without its scheme.</summary>
    public string ProviderHost => Issuer[(Issuer.IndexOf("://", StringComparison.Ordinal) + 3)..];

    /// <summary>The provider's ARN with <paramref name="account"/> (a literal id, or a placeholder a format fills in).</summary>
    public string ProviderArn(string account) => $"arn:aws:iam::{account}:oidc-provider/{ProviderHost}";

    /// <summary>The role's ARN with <paramref name="account"/>.</summary>
    public string RoleArn(string account) => $"arn:aws:iam::{account}:role/{RoleName}";

    /// <summary>Every problem with the values given, each naming its flag; empty when they are all good.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!RoleNameShape().IsMatch(RoleName)) errors.Add($"--role-name '{RoleName}' must be 1 to 64 of letters, digits and +=,.@_-");
        if (AccountId is { Length: > 0 } account && !AccountShape().IsMatch(account)) errors.Add($"--account-id '{account}' must be 12 digits");
        errors.AddRange(Emails.Where(e => EmailAddress.TryParse(e)?.Value != e).Select(e => $"--restrict-email '{e}' is not a plain lowercase email address"));
        errors.AddRange(Domains.Where(d => !EmailAddress.IsDomain(d)).Select(d => $"--restrict-domain '{d}' is not a lowercase DNS domain such as example.com"));
        errors.AddRange(PolicyArns.Where(p => !PolicyArnShape().IsMatch(p)).Select(p => $"--policy-arn '{p}' is not an IAM policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess"));
        if (MaxSessionDuration is < 3600 or > 43200) errors.Add($"--max-session-duration must be 3600 to 43200 seconds, not {MaxSessionDuration}");
        if (!HexShape().IsMatch(Thumbprint)) errors.Add($"thumbprint '{Thumbprint}' must be 40 hex digits");
        return errors;
    }

    /// <summary>
    /// The role's trust policy, minified to one line (Ceph RGW needs that): web identity and session tags (and
    /// source identity when enabled) for tokens of this audience; with restrictions, one statement for the listed
    /// emails and one for the listed domains, since AWS ANDs conditions within a statement.
    /// </summary>
    public string TrustPolicyJson(string providerArn)
    {
        var actions = new List<string> { "sts:AssumeRoleWithWebIdentity", "sts:TagSession" };
        if (SourceIdentity) actions.Add("sts:SetSourceIdentity");
        var subjects = new List<(string? Operator, IReadOnlyList<string> Values)>();
        if (Emails.Count > 0) subjects.Add(("StringEquals", Emails));
        if (Domains.Count > 0) subjects.Add(("StringLike", Domains.Select(d => "*@" + d).ToList()));
        if (subjects.Count == 0) subjects.Add((null, []));

        using var buffer = new MemoryStream();
        // Relaxed escaping keeps '+' in emails readable; the policy is JSON for IAM, never HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("Version", "2012-10-17");
            json.WriteStartArray("Statement");
            foreach (var subject in subjects)
            {
                json.WriteStartObject();
                json.WriteString("Effect", "Allow");
                json.WriteStartObject("Principal");
                json.WriteString("Federated", providerArn);
                json.WriteEndObject();
                json.WriteStartArray("Action");
                foreach (var action in actions) json.WriteStringValue(action);
                json.WriteEndArray();
                json.WriteStartObject("Condition");
                json.WriteStartObject("StringEquals");
                json.WriteString(ProviderHost + ":aud", Audience);
                if (subject.Operator == "StringEquals") WriteValues(json, ProviderHost + ":sub", subject.Values);
                json.WriteEndObject();
                if (subject.Operator == "StringLike")
                {
                    json.WriteStartObject("StringLike");
                    WriteValues(json, ProviderHost + ":sub", subject.Values);
                    json.WriteEndObject();
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteValues(Utf8JsonWriter json, string key, IReadOnlyList<string> values)
    {
        json.WriteStartArray(key);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@-]{1,64}\z")]
    private static partial Regex RoleNameShape();

    [GeneratedRegex(@"^[0-9]{12}\z")]
    private static partial Regex AccountShape();

    [GeneratedRegex(@"^arn:aws[A-Za-z0-9-]*:iam::([0-9]{12}|aws)?:policy/[A-Za-z0-9_+=,.@/-]{1,512}\z")]
    private static partial Regex PolicyArnShape();

    [GeneratedRegex(@"^[0-9a-f]{40}\z")]
    private static partial Regex HexShape();
}
