using System.Text.RegularExpressions;

namespace Vouch.Cli.Aws;

/// <summary>
/// AWS region names such as <c>eu-west-1</c> or <c>us-gov-west-1</c>, and the one place that picks a region:
/// <c>--region</c>, else <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>, else <see cref="Default"/> (empty variables count as unset).
/// </summary>
public static partial class AwsRegion
{
    public const string Default = "us-east-1";

    /// <summary>The order in which a region is chosen, as option help shows it.</summary>
    public const string Precedence = "AWS_REGION, AWS_DEFAULT_REGION, " + Default;

    public static bool IsValid(string? region) => region is not null && Shape().IsMatch(region);

    public static string Require(string? region) => IsValid(region)
        ? region!
        : throw new CliException(ExitCodes.BadConfiguration, $"'{region}' is not an AWS region (like eu-west-1)");

    /// <summary>The region the caller's environment names, else <see cref="Default"/>; not validated.</summary>
    public static string FromEnvironment(Func<string, string?> environment) =>
        environment("AWS_REGION") is { Length: > 0 } region ? region
        : environment("AWS_DEFAULT_REGION") is { Length: > 0 } fallback ? fallback
        : Default;

    /// <summary>The region to use: <paramref name="flag"/> when given, else <see cref="FromEnvironment"/>; validated.</summary>
    public static string Resolve(string? flag, Func<string, string?> environment) => Require(flag ?? FromEnvironment(environment));

    [GeneratedRegex(@"^[a-z]{2}(-[a-z]+)+-\d{1,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
