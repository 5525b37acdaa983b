using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>The loopback container credentials endpoint of <c>vouch exec --server</c>, spoken to over real sockets.</summary>
public sealed class ContainerCredentialsServerTests : IAsyncLifetime
{
    private static readonly ContainerCredentialsServerOptions Tight = new() { RequestDeadline = TimeSpan.FromMilliseconds(300), MaxRequestBytes = 1024 };
    private readonly StringWriter _log = new();
    private readonly HttpClient _http = new();
    private int _calls;
    private ContainerCredentialsServer _server = null!;

    public Task InitializeAsync()
    {
        _server = ContainerCredentialsServer.Start(Credentials, _log, Tight);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private Task<AwsCredentials> Credentials(CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        return Task.FromResult(new AwsCredentials
        {
            AccessKeyId = $"ASIAEXAMPLE{call}", SecretAccessKey = "secret-key", SessionToken = "session-token",
            Expiration = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero), RoleArn = "arn:aws:iam::123456789012:role/R", Region = "us-east-1",
        });
    }

    private Task<HttpResponseMessage> GetAsync(string? authorization, string? path = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path is null ? _server.Uri : new Uri(_server.Uri, path));
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return _http.SendAsync(request);
    }

    /// <summary>Sends <paramref name="request"/> as raw bytes and returns everything the server answers before it closes.</summary>
    private async Task<string> RawAsync(byte[] request, TimeSpan? pauseBeforeReading = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _server.Uri.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        if (pauseBeforeReading is { } pause) await Task.Delay(pause);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static string StatusLine(string response) => response.Split("\r\n")[0];

    [Fact]
    public async Task A_get_with_the_token_answers_the_four_fields_the_sdks_read()
    {
        using var response = await GetAsync(_server.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["AccessKeyId", "SecretAccessKey", "Token", "Expiration"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("session-token", json.GetProperty("Token").GetString());
        Assert.Equal("2030-01-02T03:04:05Z", json.GetProperty("Expiration").GetString());
    }

    [Fact]
    public async Task Every_request_asks_for_credentials_again_so_refreshes_reach_the_sdk()
    {
        using var first = await GetAsync(_server.Token);
        using var second = await GetAsync(_server.Token);

        var keys = new[] { first, second }.Select(r => JsonDocument.Parse(r.Content.ReadAsStringAsync().Result).RootElement.GetProperty("AccessKeyId").GetString());
        Assert.Equal(["ASIAEXAMPLE1", "ASIAEXAMPLE2"], keys);
    }

    [Fact]
    public async Task Without_the_token_the_answer_is_401_and_nothing_else()
    {
        using var response = await GetAsync(authorization: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("ASIA", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _calls);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("Bearer {token}")]
    [InlineData("{token}x")]
    public async Task A_wrong_token_is_forbidden_and_credentials_are_never_asked_for(string authorization)
    {
        using var response = await GetAsync(authorization.Replace("{token}", _server.Token, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden\n", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task Another_path_with_the_token_is_not_found()
    {
        using var response = await GetAsync(_server.Token, "/latest/meta-data/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task Only_get_is_served()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.Uri) { Content = new StringContent("{}") };
        request.Headers.TryAddWithoutValidation("Authorization", _server.Token);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET"], response.Content.Headers.Allow);
        Assert.Equal(0, _calls);
    }

    [Theory]
    [InlineData("HELLO\r\n\r\n")]
    [InlineData("GET\r\n\r\n")]
    [InlineData("GET /vouch/credentials\r\n\r\n")]
    [InlineData("GET vouch/credentials HTTP/1.1\r\n\r\n")]
    [InlineData("GET /vouch/credentials HTTP/2.0\r\n\r\n")]
    [InlineData("GET  /vouch/credentials HTTP/1.1\r\n\r\n")]
    [InlineData("GET /vouch/credentials HTTP/1.1\r\nno colon here\r\n\r\n")]
    [InlineData("GET /vouch/credentials HTTP/1.1\r\n: empty name\r\n\r\n")]
    [InlineData("GET /vouch/credentials HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n")]
    [InlineData("GET /vouch/credentials HTTP/1.1\r\nAuthorization: a\nX-Smuggled: b\r\n\r\n")]
    public async Task A_malformed_request_is_a_bad_request(string request)
    {
        var response = await RawAsync(Encoding.ASCII.GetBytes(request));

        Assert.Equal("HTTP/1.1 400 Bad Request", StatusLine(response));
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task Two_authorization_headers_are_a_bad_request_even_when_one_is_right()
    {
        var response = await RawAsync(Encoding.ASCII.GetBytes(
            $"GET /vouch/credentials HTTP/1.1\r\nAuthorization: wrong\r\nAuthorization: {_server.Token}\r\n\r\n"));

        Assert.Equal("HTTP/1.1 400 Bad Request", StatusLine(response));
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task The_header_name_is_case_insensitive_and_http_1_0_is_served()
    {
        var response = await RawAsync(Encoding.ASCII.GetBytes($"GET /vouch/credentials?x=1 HTTP/1.0\r\nauthorization:  {_server.Token} \r\n\r\n"));

        Assert.Equal("HTTP/1.1 200 OK", StatusLine(response));
        Assert.Contains("\"AccessKeyId\":\"ASIAEXAMPLE1\"", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_head_larger_than_the_limit_is_refused_without_being_read_further()
    {
        var request = Encoding.ASCII.GetBytes("GET /vouch/credentials HTTP/1.1\r\nX-Padding: " + new string('a', Tight.MaxRequestBytes));

        var response = await RawAsync(request[..Tight.MaxRequestBytes]);

        Assert.Equal("HTTP/1.1 431 Request Header Fields Too Large", StatusLine(response));
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task A_client_that_does_not_finish_its_request_in_time_is_cut_off()
    {
        var started = DateTime.UtcNow;

        var response = await RawAsync(Encoding.ASCII.GetBytes($"GET /vouch/credentials HTTP/1.1\r\nAuthorization: {_server.Token}\r\n"));

        Assert.Equal("HTTP/1.1 408 Request Timeout", StatusLine(response));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task Slow_clients_holding_every_connection_do_not_outlast_the_deadline()
    {
        var slow = Enumerable.Range(0, new ContainerCredentialsServerOptions().MaxConnections + 4)
            .Select(_ => RawAsync("GET /"u8.ToArray())).ToList();

        using var response = await GetAsync(_server.Token).WaitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(slow);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task When_credentials_cannot_be_had_the_sdk_is_told_why_in_one_line()
    {
        await using var server = ContainerCredentialsServer.Start(
            _ => throw new CliException(FailureKind.NotLoggedIn, "not logged in: run 'vouch login'"), _log, Tight);
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Uri);
        request.Headers.TryAddWithoutValidation("Authorization", server.Token);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("not logged in: run 'vouch login'\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task It_listens_on_loopback_only_with_a_fresh_strong_token_and_stops_when_disposed()
    {
        var uri = _server.Uri;
        await using (var other = ContainerCredentialsServer.Start(Credentials, _log))
        {
            Assert.NotEqual(_server.Token, other.Token);
        }

        Assert.Equal("127.0.0.1", uri.Host);
        Assert.Equal(ContainerCredentialsServer.CredentialsPath, uri.AbsolutePath);
        Assert.True(Convert.FromBase64String(_server.Token.Replace('-', '+').Replace('_', '/') + "=").Length >= 32);
        await _server.DisposeAsync();
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, uri.Port);
        });
    }

    [Fact]
    public void The_request_parser_takes_the_path_without_its_query_and_the_trimmed_authorization()
    {
        Assert.True(LoopbackHttpRequest.TryParse("GET /a/b?c=d HTTP/1.1\r\nHost: h\r\nAuthorization: \t tok \r\nAccept: */*"u8, out var request));

        Assert.Equal("GET", request.Method);
        Assert.Equal("/a/b", request.Path);
        Assert.Equal("tok"u8.ToArray(), request.Authorization);
    }
}
