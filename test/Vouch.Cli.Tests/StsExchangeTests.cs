using System.Net;
using System.Text;
using Vouch.Cli;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests;

/// <summary>
/// The STS exchange against an in-process stand-in that answers in STS's own XML, to drive the retries and error
/// messages that real STS implementations produce only under faults.
/// </summary>
public sealed class StsExchangeTests : IDisposable
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private readonly HttpListener _listener = new();
    private readonly Queue<(int Status, string Body)> _answers = new();
    private readonly List<string> _requests = [];
    private readonly string _endpoint;

    public StsExchangeTests()
    {
        var port = Vouch.Testing.FreePort.Next();
        _endpoint = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_endpoint);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using (var reader = new StreamReader(context.Request.InputStream)) lock (_requests) _requests.Add(reader.ReadToEnd());
            // The last answer repeats, so that a client retrying more than expected shows up in the request count.
            var (status, body) = _answers.Count > 1 ? _answers.Dequeue() : _answers.Peek();
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/xml";
            var bytes = Encoding.UTF8.GetBytes(body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private static (int, string) Error(string code, string message) => (400,
        $"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>");

    private static (int, string) Success() => (200,
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult>" +
        "<SubjectFromWebIdentityToken>alice@example.com</SubjectFromWebIdentityToken>" +
        "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/VouchDeveloper/alice@example.com</Arn><AssumedRoleId>AROA:alice</AssumedRoleId></AssumedRoleUser>" +
        "<Credentials><SessionToken>session-token</SessionToken><SecretAccessKey>secret/with+chars</SecretAccessKey><Expiration>2030-01-01T00:00:00Z</Expiration><AccessKeyId>ASIAEXAMPLE</AccessKeyId></Credentials>" +
        "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>");

    private async Task<(AwsCredentials? Credentials, CliException? Error, int Tokens)> AssumeAsync(TimeProvider? time = null)
    {
        var tokens = 0;
        try
        {
            var credentials = await StsExchange.AssumeRoleAsync(new StsTarget("us-east-1", _endpoint.TrimEnd('/')), Role, 3600, "alice@example.com",
                "https://vouch.example.com", _ => Task.FromResult($"eyJ.token-{++tokens}.sig"), time ?? TimeProvider.System, CancellationToken.None);
            return (credentials, null, tokens);
        }
        catch (CliException e)
        {
            return (null, e, tokens);
        }
    }

    [Fact]
    public async Task A_successful_exchange_sends_the_email_as_session_name_and_returns_the_credentials()
    {
        _answers.Enqueue(Success());

        var (credentials, _, _) = await AssumeAsync();

        Assert.Equal("ASIAEXAMPLE", credentials!.AccessKeyId);
        Assert.Equal("secret/with+chars", credentials.SecretAccessKey);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), credentials.Expiration);
        var request = WebUtility.UrlDecode(Assert.Single(_requests));
        Assert.Contains("Action=AssumeRoleWithWebIdentity", request, StringComparison.Ordinal);
        Assert.Contains("RoleSessionName=alice@example.com", request, StringComparison.Ordinal);
        Assert.Contains("DurationSeconds=3600", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_without_an_expiration_expire_at_once_on_the_agents_clock()
    {
        var (status, body) = Success();
        _answers.Enqueue((status, body.Replace("<Expiration>2030-01-01T00:00:00Z</Expiration>", "", StringComparison.Ordinal)));
        var now = new DateTimeOffset(2027, 3, 4, 5, 6, 7, TimeSpan.Zero);

        var (credentials, _, _) = await AssumeAsync(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now));

        Assert.Equal(now, credentials!.Expiration);
    }

    [Fact]
    public async Task An_idp_communication_error_is_retried()
    {
        _answers.Enqueue(Error("IDPCommunicationError", "could not fetch jwks"));
        _answers.Enqueue(Error("IDPCommunicationError", "could not fetch jwks"));
        _answers.Enqueue(Success());

        var (credentials, error, tokens) = await AssumeAsync();

        Assert.Null(error);
        Assert.Equal("ASIAEXAMPLE", credentials!.AccessKeyId);
        Assert.Equal(3, _requests.Count);
        // The token lives for minutes: the retries present the same one.
        Assert.Equal(1, tokens);
    }

    [Fact]
    public async Task Idp_communication_errors_give_up_after_the_retries_and_say_what_to_check()
    {
        _answers.Enqueue(Error("IDPCommunicationError", "timeout"));

        var (_, error, _) = await AssumeAsync();

        Assert.Equal(ExitCodes.AwsRefused, error!.ExitCode);
        Assert.Contains("https://vouch.example.com/.well-known/openid-configuration must be reachable", error.Message, StringComparison.Ordinal);
        Assert.Equal(1 + StsExchange.SdkRetries, _requests.Count);
    }

    [Fact]
    public async Task Access_denied_is_not_retried_and_names_the_trust_policy_to_check()
    {
        _answers.Enqueue(Error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"));

        var (_, error, _) = await AssumeAsync();

        Assert.Equal(ExitCodes.AwsRefused, error!.ExitCode);
        Assert.Contains("sts:TagSession", error.Message, StringComparison.Ordinal);
        Assert.Contains("vouch.example.com:sub = alice@example.com", error.Message, StringComparison.Ordinal);
        Assert.Single(_requests);
        Assert.DoesNotContain("eyJ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_identity_token_points_at_the_oidc_provider()
    {
        _answers.Enqueue(Error("InvalidIdentityToken", "No OpenIDConnect provider found"));

        var (_, error, _) = await AssumeAsync();

        Assert.Contains("OIDC provider for https://vouch.example.com", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_token_is_retried_once_with_a_fresh_one()
    {
        _answers.Enqueue(Error("ExpiredTokenException", "Token expired"));
        _answers.Enqueue(Success());

        var (credentials, _, tokens) = await AssumeAsync();

        Assert.NotNull(credentials);
        Assert.Equal(2, tokens);
    }

    [Fact]
    public async Task An_sts_endpoint_that_cannot_be_reached_is_named_as_the_sts_endpoint()
    {
        var closed = $"http://127.0.0.1:{Vouch.Testing.FreePort.Next()}";

        var error = await Assert.ThrowsAsync<CliException>(() => StsExchange.AssumeRoleAsync(new StsTarget("us-east-1", closed), Role, 3600,
            "alice@example.com", "https://vouch.example.com", _ => Task.FromResult("eyJ.token.sig"), TimeProvider.System, CancellationToken.None));

        Assert.Equal(ExitCodes.AwsRefused, error.ExitCode);
        Assert.StartsWith($"cannot reach the STS endpoint {closed}: ", error.Message, StringComparison.Ordinal);
    }
}
