namespace Vouch.Cli.Aws;

/// <summary>
/// Where to call STS, resolved the way the AWS SDKs do from the caller's environment: <c>AWS_ENDPOINT_URL_STS</c>,
/// else <c>AWS_ENDPOINT_URL</c>, else the region's endpoint; the region as <see cref="AwsRegion.Resolve"/> picks it.
/// Resolved in the CLI (the agent's environment may be older).
/// </summary>
public sealed record StsTarget(string Region, string? Endpoint)
{
    public static StsTarget Resolve(string? region, Func<string, string?> environment)
    {
        var resolvedRegion = AwsRegion.Resolve(region, environment);
        var endpoint = Env(environment, "AWS_ENDPOINT_URL_STS") ?? Env(environment, "AWS_ENDPOINT_URL");
        if (endpoint is not null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
            throw new CliException(ExitCodes.BadConfiguration, $"AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL '{endpoint}' is not an http(s) URL");
        return new StsTarget(resolvedRegion, endpoint?.TrimEnd('/'));
    }

    private static string? Env(Func<string, string?> environment, string name) => environment(name) is { Length: > 0 } value ? value : null;
}
