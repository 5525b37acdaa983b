using System.Net;
using System.Text.Json;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>
/// The federation requests of <c>vouch console</c>, checked against the shape the IAM User Guide documents ("Enable
/// custom identity broker access to the AWS console"); the endpoint is a recording handler, not AWS.
/// </summary>
public sealed class ConsoleSignInTests
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private static readonly Uri Endpoint = new("https://signin.aws.amazon.com/federation");

    private static readonly AwsCredentials Credentials = new()
    {
        AccessKeyId = "ASIAEXAMPLE", SecretAccessKey = "secret/key+with=signs", SessionToken = "token&with?query#chars",
        Expiration = DateTimeOffset.UnixEpoch.AddYears(60), RoleArn = Role, Region = "eu-west-1",
    };

    private sealed class RecordingHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body) });
        }
    }

    private static Dictionary<string, string> Query(string url) =>
        new Uri(url).Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));

    [Fact]
    public async Task The_signin_token_request_carries_the_credentials_as_the_documented_session_json()
    {
        var handler = new RecordingHandler(HttpStatusCode.OK, """{"SigninToken":"tok/en+1="}""");
        using var http = new HttpClient(handler);

        await new ConsoleSignIn(http).CreateAsync(Endpoint, Credentials, 1800, ConsoleSignIn.Destination(Role, "eu-west-1"), CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("https://signin.aws.amazon.com/federation", request.GetLeftPart(UriPartial.Path));
        var query = Query(request.AbsoluteUri);
        Assert.Equal(["Action", "SessionDuration", "Session"], query.Keys);
        Assert.Equal("getSigninToken", query["Action"]);
        Assert.Equal("1800", query["SessionDuration"]);
        var session = JsonDocument.Parse(query["Session"]).RootElement;
        Assert.Equal(["sessionId", "sessionKey", "sessionToken"], session.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Credentials.SecretAccessKey, session.GetProperty("sessionKey").GetString());
        Assert.Equal(Credentials.SessionToken, session.GetProperty("sessionToken").GetString());
    }

    [Fact]
    public async Task The_login_url_names_the_issuer_the_destination_and_the_token()
    {
        using var http = new HttpClient(new RecordingHandler(HttpStatusCode.OK, """{"SigninToken":"tok/en+1="}"""));

        var url = await new ConsoleSignIn(http).CreateAsync(Endpoint, Credentials, 3600, ConsoleSignIn.Destination(Role, "eu-west-1"), CancellationToken.None);

        Assert.StartsWith("https://signin.aws.amazon.com/federation?Action=login&", url, StringComparison.Ordinal);
        var query = Query(url);
        Assert.Equal(["Action", "Issuer", "Destination", "SigninToken"], query.Keys);
        Assert.Equal("vouch", query["Issuer"]);
        Assert.Equal("https://console.aws.amazon.com/console/home?region=eu-west-1", query["Destination"]);
        Assert.Equal("tok/en+1=", query["SigninToken"]);
        Assert.DoesNotContain(Credentials.SecretAccessKey, Uri.UnescapeDataString(url), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "<html>secret/key+with=signs</html>")]
    [InlineData(HttpStatusCode.OK, "<html>not json</html>")]
    [InlineData(HttpStatusCode.OK, """{"SigninToken":""}""")]
    [InlineData(HttpStatusCode.OK, """["SigninToken"]""")]
    public async Task A_refusal_or_an_answer_without_a_token_is_an_aws_refusal_that_echoes_nothing(HttpStatusCode status, string body)
    {
        using var http = new HttpClient(new RecordingHandler(status, body));

        var failure = await Assert.ThrowsAsync<CliException>(() =>
            new ConsoleSignIn(http).CreateAsync(Endpoint, Credentials, 3600, ConsoleSignIn.Destination(Role, "us-east-1"), CancellationToken.None));

        Assert.Equal(ExitCodes.AwsRefused, failure.ExitCode);
        Assert.DoesNotContain("secret", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("arn:aws:iam::123456789012:role/R", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/console/home?region=us-east-1")]
    [InlineData("arn:aws-us-gov:iam::123456789012:role/R", "https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com/console/home?region=us-east-1")]
    [InlineData("arn:aws-cn:iam::123456789012:role/R", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/console/home?region=us-east-1")]
    public void Each_partition_signs_in_at_its_own_endpoint(string role, string endpoint, string destination)
    {
        Assert.Equal(endpoint, ConsoleSignIn.Endpoint(role, _ => null).AbsoluteUri);
        Assert.Equal(destination, ConsoleSignIn.Destination(role, "us-east-1").AbsoluteUri);
    }

    [Theory]
    [InlineData("https://127.0.0.1:8443/federation", true)]
    [InlineData("http://127.0.0.1:8080/federation", true)]
    [InlineData("http://localhost:8080/federation", true)]
    [InlineData("https://[::1]:8443/federation", true)]
    [InlineData("https://federation.example.com/federation", false)]
    [InlineData("https://signin.aws.amazon.com/federation", false)]
    [InlineData("http://federation.example.com/federation", false)]
    [InlineData("https://127.0.0.1.example.com/federation", false)]
    [InlineData("https://localhost.example.com/federation", false)]
    [InlineData("https://10.0.0.1/federation", false)]
    [InlineData("https://127.0.0.1/federation?x=1", false)]
    [InlineData("ftp://127.0.0.1/federation", false)]
    [InlineData("not a url", false)]
    public void The_endpoint_override_accepts_only_loopback_targets(string configured, bool accepted)
    {
        string? Environment(string name) => name == ConsoleSignIn.EndpointVariable ? configured : null;

        if (accepted)
        {
            Assert.Equal(configured, ConsoleSignIn.Endpoint(Role, Environment).AbsoluteUri);
            return;
        }
        var refused = Assert.Throws<CliException>(() => ConsoleSignIn.Endpoint(Role, Environment));
        Assert.Equal(ExitCodes.BadConfiguration, refused.ExitCode);
        Assert.Contains("VOUCH_AWS_FEDERATION_ENDPOINT is a test hook and must name a loopback address", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(899)]
    [InlineData(3601)]
    public void A_console_session_lasts_at_most_an_hour_like_the_credentials(int seconds) =>
        Assert.Equal(ExitCodes.BadConfiguration, Assert.Throws<CliException>(() => ConsoleSignIn.RequireSessionDuration(seconds)).ExitCode);
}
