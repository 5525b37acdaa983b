using System.Collections;

namespace Vouch.Cli.Aws;

/// <summary>
/// Keeps the AWS SDK in this process away from the user's AWS configuration. The SDK reads the shared config and
/// credentials files and the <c>AWS_*</c> variables in static constructors, whatever the client is given: one line
/// it cannot parse (<c>[profile x]  # note</c>, which the AWS CLI accepts) or one odd variable fails every STS call
/// for the life of the process. Vouch tells the SDK everything it needs (region or endpoint, anonymous credentials,
/// retries), so before the SDK is first touched this removes every <c>AWS_*</c> variable from the process and points
/// <c>AWS_CONFIG_FILE</c> and <c>AWS_SHARED_CREDENTIALS_FILE</c> at the empty <c>/dev/null</c> (a missing file would
/// make the SDK fall back to <c>~/.aws</c>). Only the agent calls STS; the CLI reads AWS settings itself.
/// </summary>
public static class AwsSdkIsolation
{
    public const string EmptyFile = "/dev/null";

    private static readonly Lazy<bool> Done = new(() =>
    {
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<object>().Select(k => k.ToString()!))
        {
            if (name.StartsWith("AWS_", StringComparison.Ordinal)) Environment.SetEnvironmentVariable(name, null);
        }
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", EmptyFile);
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", EmptyFile);
        return true;
    });

    /// <summary>Isolates the process once; call before any AWS SDK type is used.</summary>
    public static void Apply() => _ = Done.Value;
}
