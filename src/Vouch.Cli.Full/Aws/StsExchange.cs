using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Vouch.Protocol;

namespace Vouch.Cli.Aws;

/// <summary>
/// Trades a Vouch ID token for AWS credentials with <c>AssumeRoleWithWebIdentity</c> (unsigned). The SDK retries
/// <c>IDPCommunicationError</c> and <c>InvalidIdentityToken</c> (AWS could not fetch our JWKS in time) up to
/// <see cref="SdkRetries"/> times with backoff; an <c>ExpiredTokenException</c> gets one more try with a fresh
/// token; every other refusal becomes one line that says what to check. The client is built from what Vouch resolved
/// alone (<see cref="AwsSdkIsolation"/>): the user's AWS files and variables never reach the SDK.
/// </summary>
public static class StsExchange
{
    /// <summary>Retries after the first attempt, done by the SDK with its backoff.</summary>
    public const int SdkRetries = 3;

    /// <summary>How long one STS request may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static async Task<AwsCredentials> AssumeRoleAsync(
        StsTarget target, string roleArn, int durationSeconds, string email, string issuer,
        Func<CancellationToken, Task<string>> idToken, TimeProvider time, CancellationToken cancellationToken)
    {
        AwsSdkIsolation.Apply();
        var config = new AmazonSecurityTokenServiceConfig
        {
            MaxErrorRetry = SdkRetries,
            RetryMode = RequestRetryMode.Standard,
            Timeout = Timeout,
            UseFIPSEndpoint = false,
            UseDualstackEndpoint = false,
        };
        if (target.Endpoint is not null)
        {
            config.ServiceURL = target.Endpoint;
            config.AuthenticationRegion = target.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(target.Region);
        }
        using var client = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config);
        var where = target.Endpoint ?? $"STS in {target.Region}";
        // A bare URL in "cannot reach URL" reads like the Vouch server's; say which peer it is.
        var peer = target.Endpoint is null ? where : $"the STS endpoint {target.Endpoint}";
        for (var attempt = 1; ; attempt++)
        {
            var token = await idToken(cancellationToken);
            try
            {
                var response = await client.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
                {
                    RoleArn = roleArn,
                    RoleSessionName = RoleSessionName.For(email),
                    WebIdentityToken = token,
                    DurationSeconds = durationSeconds,
                }, cancellationToken);
                var credentials = response.Credentials;
                return new AwsCredentials
                {
                    AccessKeyId = credentials.AccessKeyId,
                    SecretAccessKey = credentials.SecretAccessKey,
                    SessionToken = credentials.SessionToken,
                    // STS always names the expiration; without one, the credentials count as expired already (never cached).
                    Expiration = credentials.Expiration is { } expiration ? new DateTimeOffset(DateTime.SpecifyKind(expiration, DateTimeKind.Utc)) : time.GetUtcNow(),
                    RoleArn = roleArn,
                    AssumedRoleArn = response.AssumedRoleUser?.Arn,
                    Region = target.Region,
                };
            }
            catch (ExpiredTokenException) when (attempt < 2)
            {
                // Clock skew between Vouch and AWS: one more try with a fresh token.
            }
            catch (AmazonServiceException e)
            {
                throw Explain(e, roleArn, email, issuer, where);
            }
            catch (HttpRequestException e)
            {
                throw new CliException(FailureKind.AwsRefused, $"cannot reach {peer}: {e.Message}");
            }
            catch (AmazonClientException e)
            {
                // The SDK failed before STS answered (an endpoint it cannot build, a response it cannot read).
                throw new CliException(FailureKind.AwsRefused, $"cannot call {peer}: {e.Message}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CliException(FailureKind.AwsRefused, $"no answer from {peer} within {Timeout.TotalSeconds:0} s: check the network (and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL when set)");
            }
        }
    }

    private static CliException Explain(AmazonServiceException e, string roleArn, string email, string issuer, string where)
    {
        var host = issuer[(issuer.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var message = e.ErrorCode switch
        {
            "InvalidIdentityToken" =>
                $"AWS rejected the Vouch token (InvalidIdentityToken: {e.Message}): check that IAM has an OIDC provider for {issuer} whose client id (audience) matches, and that AWS can fetch {issuer}{ApiRoutes.Jwks}",
            "ExpiredTokenException" or "ExpiredToken" =>
                $"AWS says the Vouch token expired (ExpiredTokenException): check the clocks of the Vouch server and this machine",
            "IDPCommunicationError" =>
                $"AWS could not reach the Vouch server to check the token (IDPCommunicationError): {issuer}{ApiRoutes.Discovery} must be reachable from AWS over https",
            "IDPRejectedClaim" =>
                $"AWS rejected a claim of the Vouch token (IDPRejectedClaim: {e.Message})",
            "AccessDenied" or "AccessDeniedException" =>
                $"AWS denied {email} the role {roleArn} (AccessDenied): check that the role's trust policy allows sts:AssumeRoleWithWebIdentity and sts:TagSession for {host}:sub = {email} (or its domain)",
            "ValidationError" =>
                $"AWS refused the request (ValidationError: {e.Message}): check --role and --duration (at most the role's MaxSessionDuration)",
            _ => $"AWS STS refused ({e.ErrorCode}: {e.Message})",
        };
        return new CliException(FailureKind.AwsRefused, message + $" [{where}]");
    }
}
