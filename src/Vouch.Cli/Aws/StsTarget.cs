namespace Vouch.Cli.Aws;

/// <summary>
/// Where to call STS, resolved the way the AWS SDKs do from the caller's environment: <c>AWS_ENDPOINT_URL_STS</c>,
/// else <c>AWS_ENDPOINT_URL</c>, else the region's endpoint; the region from <c>--region</c>, <c>AWS_REGION</c>,
/// <c>AWS_DEFAULT_REGION</c>, else us-east-1. Resolved in the CLI (the agent's environment may be older).
/// </summary>
public sealed record StsTarget(string Region, string? Endpoint)
{
    public static StsTarget Resolve(string? region, Func<string, string?> environment)
    {
        var resolvedRegion = region ?? Env(environment, "AWS_REGION") ?? Env(environment, "AWS_DEFAULT_REGION") ?? AwsRegion.Default;
        var endpoint = Env(environment, "AWS_ENDPOINT_URL_STS") ?? Env(environment, "AWS_ENDPOINT_URL");
        if (endpoint is not null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
            throw new CliException(ExitCodes.BadConfiguration, $"AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL '{endpoint}' is not an http(s) URL");
        return new StsTarget(AwsRegion.Require(resolvedRegion), endpoint?.TrimEnd('/'));
    }

    private static string? Env(Func<string, string?> environment, string name) => environment(name) is { Length: > 0 } value ? value : null;
}
