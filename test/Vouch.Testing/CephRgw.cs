using System.Globalization;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Vouch.Testing;

/// <summary>
/// A real single-node Ceph whose RADOS Gateway is a token-validating STS (test/peers/ceph/start-ceph.sh), with an
/// admin user for its IAM API. Stopped by the PIDs in its pid files on dispose.
/// </summary>
public sealed class CephRgw : IAsyncDisposable
{
    private const string AdminKey = "VOUCHTESTADMIN00000";
    private const string AdminSecret = "vouchtestadminsecret000000000000000000000";
    private readonly TemporaryDirectory _directory;
    private readonly Lazy<AmazonSecurityTokenServiceClient> _sts;

    private CephRgw(TemporaryDirectory directory, int port)
    {
        (_directory, Endpoint) = (directory, $"http://127.0.0.1:{port}");
        // No retries: every refusal is RGW's answer to that one token.
        _sts = new(() => new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig
        {
            ServiceURL = Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromSeconds(30),
        }));
    }

    /// <summary>The S3, IAM and STS endpoint.</summary>
    public string Endpoint { get; }

    private string ConfigFile => Path.Combine(_directory.Path, "ceph", "ceph.conf");

    /// <summary>
    /// Starts Ceph and its RGW; with <paramref name="trustedCa"/> (a PEM file), RGW also trusts that CA when it fetches
    /// an https issuer's discovery document and JWKS (a <see cref="TestPki"/> root, for an issuer behind nginx).
    /// </summary>
    public static async Task<CephRgw> StartAsync(string? trustedCa = null)
    {
        var directory = new TemporaryDirectory("vouch-ceph-");
        var port = FreePort.Next();
        var monitorPort = FreePort.Next();
        var rgw = new CephRgw(directory, port);
        var start = await ProcessRunner.RunAsync("bash",
            [Path.Combine(RepositoryPaths.PeersDirectory, "ceph", "start-ceph.sh"), Path.Combine(directory.Path, "ceph"),
             port.ToString(CultureInfo.InvariantCulture), monitorPort.ToString(CultureInfo.InvariantCulture)],
            trustedCa is null ? null : new Dictionary<string, string?> { ["RGW_TRUSTED_CA"] = trustedCa }, timeout: TimeSpan.FromSeconds(180));
        if (start.ExitCode != 0 || !start.StandardOutput.Contains("radosgw answering", StringComparison.Ordinal))
        {
            await rgw.DisposeAsync();
            throw new InvalidOperationException($"Ceph RGW did not start (scripts/install-test-deps.sh installs ceph): {start.StandardOutput}\n{start.StandardError}");
        }
        await rgw.AdminAsync("radosgw-admin", "user", "create", "--uid=admin", "--display-name=admin", $"--access-key={AdminKey}", $"--secret-key={AdminSecret}");
        await rgw.AdminAsync("radosgw-admin", "caps", "add", "--uid=admin", "--caps=oidc-provider=*;roles=*;user-policy=*;users=*");
        return rgw;
    }

    /// <summary>Registers <paramref name="issuer"/> as an OIDC provider whose client id is <paramref name="audience"/>.</summary>
    public Task RegisterIssuerAsync(string issuer, string audience) =>
        IamAsync("create-open-id-connect-provider", "--url", issuer, "--client-id-list", audience,
            // RGW requires a thumbprint but does not check it.
            "--thumbprint-list", "0000000000000000000000000000000000000000");

    /// <summary>All of S3: the permission policy a role gets unless told otherwise.</summary>
    public const string AllOfS3 = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:*\"],\"Resource\":[\"arn:aws:s3:::*\"]}]}";

    /// <summary>
    /// Creates a role trusting <paramref name="issuer"/> under <paramref name="condition"/> (one-line JSON) for
    /// <paramref name="actions"/> (default web identity and session tags), allowed <paramref name="permissions"/>
    /// (default <see cref="AllOfS3"/>).
    /// </summary>
    public async Task<string> CreateRoleAsync(string name, string issuer, string condition, string? permissions = null, IReadOnlyList<string>? actions = null)
    {
        var provider = issuer[(issuer.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var allowed = string.Join(',', (actions ?? ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]).Select(a => $"\"{a}\""));
        var trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":[\"arn:aws:iam:::oidc-provider/" + provider +
                    "\"]},\"Action\":[" + allowed + "],\"Condition\":" + condition + "}]}";
        await IamAsync("create-role", "--role-name", name, "--assume-role-policy-document", trust);
        await IamAsync("put-role-policy", "--role-name", name, "--policy-name", "s3", "--policy-document", permissions ?? AllOfS3);
        return $"arn:aws:iam:::role/{name}";
    }

    /// <summary>
    /// One unsigned <c>AssumeRoleWithWebIdentity</c> of <paramref name="roleArn"/> with <paramref name="token"/>, as the
    /// CLI makes it (RGW fetches the issuer's discovery document and JWKS for it): whether RGW gave credentials, or
    /// the error code it refused with.
    /// </summary>
    public async Task<WebIdentityAnswer> AssumeRoleWithWebIdentityAsync(string roleArn, string token, string sessionName)
    {
        try
        {
            var response = await _sts.Value.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
            {
                RoleArn = roleArn,
                RoleSessionName = sessionName,
                WebIdentityToken = token,
            });
            return new WebIdentityAnswer(!string.IsNullOrEmpty(response.Credentials?.AccessKeyId), null);
        }
        catch (AmazonServiceException e)
        {
            return new WebIdentityAnswer(false, $"{e.ErrorCode} ({(int)e.StatusCode})");
        }
    }

    private Task IamAsync(params string[] arguments) =>
        AdminAsync("aws", ["--endpoint-url", Endpoint, "--output", "text", "iam", .. arguments]);

    /// <summary>
    /// The environment of an IAM administrator of this RGW: its admin user's keys, and RGW as every AWS endpoint,
    /// so that an unchanged <c>aws iam ...</c> script runs against it.
    /// </summary>
    public Dictionary<string, string?> AdminEnvironment() => new()
    {
        ["CEPH_CONF"] = ConfigFile,
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        ["AWS_DEFAULT_REGION"] = "us-east-1",
        ["AWS_ACCESS_KEY_ID"] = AdminKey,
        ["AWS_SECRET_ACCESS_KEY"] = AdminSecret,
        ["AWS_ENDPOINT_URL"] = Endpoint,
    };

    private async Task AdminAsync(string program, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(program, arguments, AdminEnvironment(), timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {result.StandardError}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_sts.IsValueCreated) _sts.Value.Dispose();
        await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.PeersDirectory, "ceph", "stop-ceph.sh"), Path.Combine(_directory.Path, "ceph")],
            timeout: TimeSpan.FromSeconds(60));
        _directory.Dispose();
    }
}

/// <summary>RGW's answer to <c>AssumeRoleWithWebIdentity</c>: credentials issued, or the error code (and HTTP status) of its refusal.</summary>
public sealed record WebIdentityAnswer(bool Issued, string? Error);
