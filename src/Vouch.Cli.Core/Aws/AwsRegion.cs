using System.Text.RegularExpressions;

namespace Vouch.Cli.Aws;

/// <summary>
/// AWS region names such as <c>eu-west-1</c> or <c>us-gov-west-1</c>, and the one place that picks a region, in the
/// AWS SDKs' order: <c>--region</c>, else <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>, else the <c>region</c> of
/// the profile <c>AWS_PROFILE</c> names (<c>default</c> when unset) in <c>AWS_CONFIG_FILE</c> or <c>~/.aws/config</c>,
/// else <see cref="Default"/>. Empty variables count as unset; the file is read only when it is needed.
/// </summary>
public static partial class AwsRegion
{
    public const string Default = "us-east-1";

    /// <summary>The order in which a region is chosen, as option help shows it.</summary>
    public const string Precedence = "AWS_REGION, AWS_DEFAULT_REGION, the region of the AWS_PROFILE profile, " + Default;

    public static bool IsValid(string? region) => region is not null && Shape().IsMatch(region);

    public static string Require(string? region) => IsValid(region)
        ? region!
        : throw new CliException(FailureKind.BadConfiguration, $"'{region}' is not an AWS region (like eu-west-1)");

    /// <summary>The region the caller's environment variables name, else null; not validated.</summary>
    public static string? FromVariables(Func<string, string?> environment) =>
        environment("AWS_REGION") is { Length: > 0 } region ? region
        : environment("AWS_DEFAULT_REGION") is { Length: > 0 } fallback ? fallback
        : null;

    /// <summary>
    /// The region of the profile the environment selects (<c>AWS_PROFILE</c>, else <c>default</c>) in its config file,
    /// validated; null when there is no such file, profile or region. A file the AWS CLI would reject, or a region
    /// that is no region, is a <see cref="CliException"/> that names the file and line.
    /// </summary>
    public static string? FromProfile(Func<string, string?> environment)
    {
        var name = environment("AWS_PROFILE") is { Length: > 0 } selected ? selected : "default";
        var file = AwsConfigFile.Load(AwsConfigFile.DefaultPath(environment));
        return file?.Profile(name) is { } profile ? Of(file, profile) : null;
    }

    /// <summary>The <c>region</c> setting of <paramref name="profile"/>, validated; null when it has none.</summary>
    public static string? Of(AwsConfigFile file, AwsConfigSection profile)
    {
        if (!profile.Settings.TryGetValue("region", out var setting) || setting.Value.Length == 0) return null;
        return IsValid(setting.Value)
            ? setting.Value
            : throw new CliException(FailureKind.BadConfiguration,
                $"{file.Path} line {setting.LineNumber}: the region '{setting.Value}' of profile '{profile.Profile}' is not an AWS region (like eu-west-1)");
    }

    /// <summary>The region to use (see the type's summary), validated.</summary>
    public static string Resolve(string? flag, Func<string, string?> environment) =>
        Require(flag ?? FromVariables(environment) ?? FromProfile(environment) ?? Default);

    [GeneratedRegex(@"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
