using System.Net;
using System.Text;
using System.Text.Json;

namespace Vouch.Cli.Aws;

/// <summary>
/// An AWS console sign-in URL for temporary credentials, the way the IAM User Guide's "Enable custom identity broker
/// access to the AWS console" describes it: <c>GET federation?Action=getSigninToken&amp;SessionDuration=S&amp;Session=JSON</c>
/// answers <c>{"SigninToken":..}</c>, and <c>federation?Action=login&amp;Issuer=..&amp;Destination=..&amp;SigninToken=..</c>
/// signs the browser in. That URL is a bearer secret (AWS accepts its token for 15 minutes): never logged.
/// </summary>
public sealed class ConsoleSignIn(HttpClient http)
{
    /// <summary>
    /// A test hook: the federation endpoint to use instead of AWS's, on loopback only (<c>https://</c> or <c>http://</c>
    /// on 127.0.0.0/8, ::1 or localhost). It receives the full AWS credentials, so a <c>.envrc</c> or CI variable must
    /// not be able to send them to another host.
    /// </summary>
    public const string EndpointVariable = "VOUCH_AWS_FEDERATION_ENDPOINT";

    public const string Issuer = "vouch";

    /// <summary>The console session lasts 900 to 3600 seconds, like the credentials vouch hands out; default an hour.</summary>
    public static int RequireSessionDuration(int seconds) => seconds is >= 900 and <= 3600
        ? seconds
        : throw new CliException(FailureKind.BadConfiguration, $"--duration must be 900 to 3600 seconds, not {seconds}");

    /// <summary>The federation endpoint of the role's partition, or the one <see cref="EndpointVariable"/> names (validated).</summary>
    public static Uri Endpoint(string roleArn, Func<string, string?> environment)
    {
        if (environment(EndpointVariable) is { Length: > 0 } configured)
        {
            if (!Uri.TryCreate(configured, UriKind.Absolute, out var uri) || uri.Query.Length > 0 || uri.Fragment.Length > 0
                || uri.Scheme is not ("https" or "http") || !uri.IsLoopback)
                throw new CliException(FailureKind.BadConfiguration,
                    $"{EndpointVariable} is a test hook and must name a loopback address (127.0.0.1, ::1 or localhost), " +
                    "https:// or http://, without a query; unset it to use AWS");
            return uri;
        }
        return new Uri($"https://{Hosts(roleArn).SignIn}/federation");
    }

    /// <summary>The console's home page in <paramref name="region"/>, in the role's partition.</summary>
    public static Uri Destination(string roleArn, string region) =>
        new($"https://{Hosts(roleArn).Console}/console/home?region={Uri.EscapeDataString(region)}");

    /// <summary>The getSigninToken request: the credentials as the JSON <c>{"sessionId","sessionKey","sessionToken"}</c>, URL-encoded.</summary>
    public static Uri SigninTokenRequest(Uri endpoint, AwsCredentials credentials, int sessionSeconds)
    {
        var session = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(session))
        {
            json.WriteStartObject();
            json.WriteString("sessionId", credentials.AccessKeyId);
            json.WriteString("sessionKey", credentials.SecretAccessKey);
            json.WriteString("sessionToken", credentials.SessionToken);
            json.WriteEndObject();
        }
        return new Uri($"{endpoint.AbsoluteUri}?Action=getSigninToken&SessionDuration={sessionSeconds}" +
            $"&Session={Uri.EscapeDataString(Encoding.UTF8.GetString(session.WrittenSpan))}");
    }

    /// <summary>The login URL, exactly as built (a string: <see cref="Uri"/> may re-escape it).</summary>
    public static string LoginUrl(Uri endpoint, string signinToken, Uri destination) =>
        $"{endpoint.AbsoluteUri}?Action=login&Issuer={Issuer}&Destination={Uri.EscapeDataString(destination.AbsoluteUri)}" +
        $"&SigninToken={Uri.EscapeDataString(signinToken)}";

    /// <summary>Asks <paramref name="endpoint"/> for a sign-in token and returns the login URL (a secret).</summary>
    public async Task<string> CreateAsync(Uri endpoint, AwsCredentials credentials, int sessionSeconds, Uri destination, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(SigninTokenRequest(endpoint, credentials, sessionSeconds), cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(FailureKind.AwsRefused, $"cannot reach the AWS federation endpoint {endpoint.Host}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(FailureKind.AwsRefused, $"the AWS federation endpoint {endpoint.Host} did not answer in time");
        }
        using (response)
        {
            // The body is not shown: AWS answers errors with an HTML page, and nothing here may echo the credentials.
            if (response.StatusCode != HttpStatusCode.OK)
                throw new CliException(FailureKind.AwsRefused, $"the AWS federation endpoint refused the sign-in (HTTP {(int)response.StatusCode}): check that the role may be used in the console");
            var token = await ReadSigninTokenAsync(response, cancellationToken)
                ?? throw new CliException(FailureKind.AwsRefused, "the AWS federation endpoint answered without a SigninToken");
            return LoginUrl(endpoint, token, destination);
        }
    }

    private static async Task<string?> ReadSigninTokenAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("SigninToken", out var token)
                && token.ValueKind == JsonValueKind.String && token.GetString() is { Length: > 0 } value ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The sign-in and console hosts of the role's partition (<c>arn:PARTITION:iam::...</c>).</summary>
    private static (string SignIn, string Console) Hosts(string roleArn) => roleArn.Split(':')[1] switch
    {
        "aws" => ("signin.aws.amazon.com", "console.aws.amazon.com"),
        "aws-us-gov" => ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
        "aws-cn" => ("signin.amazonaws.cn", "console.amazonaws.cn"),
        var other => throw new CliException(FailureKind.BadConfiguration, $"vouch knows no console sign-in for the AWS partition '{other}'"),
    };
}
