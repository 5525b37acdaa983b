using System.Net;

namespace Vouch.Cli.Aws;

/// <summary>
/// Where to call STS, resolved the way the AWS SDKs do from the caller's environment: <c>AWS_ENDPOINT_URL_STS</c>,
/// else <c>AWS_ENDPOINT_URL</c>, else the region's endpoint; the region as <see cref="AwsRegion.Resolve"/> picks it.
/// Resolved in the CLI (the agent's environment may be older), and checked again by the agent (<see cref="Create"/>).
/// The Vouch ID token goes to that endpoint, and it is a bearer credential for every role that trusts the issuer: an
/// endpoint must be <c>https://</c>, or <c>http://</c> on a loopback host (<c>localhost</c>, 127.0.0.0/8, [::1]) for
/// local test STSes.
/// </summary>
public sealed record StsTarget(string Region, string? Endpoint)
{
    public static StsTarget Resolve(string? region, Func<string, string?> environment)
    {
        var resolvedRegion = AwsRegion.Resolve(region, environment);
        var endpoint = Env(environment, "AWS_ENDPOINT_URL_STS") ?? Env(environment, "AWS_ENDPOINT_URL");
        return Create(resolvedRegion, endpoint);
    }

    /// <summary>The target, once the region is a region and the endpoint one the ID token may be sent to; else a <see cref="CliException"/> (bad configuration).</summary>
    public static StsTarget Create(string region, string? endpoint)
    {
        AwsRegion.Require(region);
        if (endpoint is null) return new StsTarget(region, null);
        const string Names = "AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL";
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new CliException(FailureKind.BadConfiguration, $"{Names} '{endpoint}' is not an http(s) URL");
        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri))
        {
            throw new CliException(FailureKind.BadConfiguration,
                $"{Names} '{endpoint}' is plain http:// to a host that is not loopback: the Vouch ID token would cross the network readable by anyone on the way, so nothing was sent; use https:// (http:// only for localhost, 127.0.0.0/8 or [::1])");
        }
        return new StsTarget(region, endpoint.TrimEnd('/'));
    }

    /// <summary>Loopback by its name alone, never by asking DNS: <c>localhost</c> or a loopback address literal.</summary>
    private static bool IsLoopback(Uri uri) =>
        string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static string? Env(Func<string, string?> environment, string name) => environment(name) is { Length: > 0 } value ? value : null;
}
