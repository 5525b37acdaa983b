using System.Text.RegularExpressions;

namespace Vouch.Cli.Aws;

/// <summary>
/// IAM role ARNs: <c>arn:PARTITION:iam::ACCOUNT:role/PATH/NAME</c>. The account may be empty, as S3-compatible STS
/// implementations such as Ceph RGW use (<c>arn:aws:iam:::role/NAME</c>).
/// </summary>
public static partial class RoleArn
{
    public static bool IsValid(string? arn) => arn is { Length: <= 2048 } && Shape().IsMatch(arn);

    /// <summary>The role's name (the last path segment).</summary>
    public static string Name(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    public static string Require(string? arn) => IsValid(arn)
        ? arn!
        : throw new CliException(FailureKind.BadConfiguration,
            $"'{arn}' is not an IAM role ARN (like arn:aws:iam::123456789012:role/VouchDeveloper)");

    // \z, not $: "$" also matches before a final newline, which would let a role write a second line into ~/.aws/config.
    [GeneratedRegex(@"^arn:aws(-[a-z]+)*:iam::([0-9]{12})?:role/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}

/// <summary>
/// The <c>RoleSessionName</c> for a user: the email, keeping only <c>[\w+=,.@-]</c> and at most 64 characters,
/// so CloudTrail shows <c>assumed-role/ROLE/alice@example.com</c>.
/// </summary>
public static partial class RoleSessionName
{
    public static string For(string email)
    {
        var name = Disallowed().Replace(email, "-");
        if (name.Length > 64) name = name[..64];
        return name.Length >= 2 ? name : "vouch-" + name;
    }

    [GeneratedRegex(@"[^A-Za-z0-9_+=,.@-]", RegexOptions.CultureInvariant)]
    private static partial Regex Disallowed();
}
