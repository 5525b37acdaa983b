using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>Malformed, oversized and misdirected requests get a clean 4xx, never a 500.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, body.RootElement.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("error_description").GetString()));
    }

    [Theory]
    [InlineData("nope")]
    [InlineData(".well-known/")]
    [InlineData(".well-known/jwks")]
    [InlineData("..%2f..%2fetc%2fpasswd")]
    [InlineData(".well-known/openid-configuration/extra")]
    public async Task An_unknown_path_is_not_found(string path)
    {
        using var response = await _server.Client.GetAsync(path);

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("POST", ".well-known/jwks.json")]
    [InlineData("PUT", ".well-known/openid-configuration")]
    [InlineData("DELETE", ".well-known/jwks.json")]
    [InlineData("PATCH", "healthz")]
    public async Task A_wrong_method_is_not_allowed_and_says_which_is(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        using var response = await _server.Client.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        Assert.Contains("GET", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_before_it_is_read()
    {
        // Only the headers are sent: the answer must come without the server waiting for (or reading) the body.
        var status = await SendRawAsync("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n");

        Assert.Equal(413, status);
    }

    [Fact]
    public async Task An_oversized_body_gets_a_json_error_code()
    {
        var uri = new Uri(_server.Issuer);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, uri.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.Latin1);

        var response = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
        Assert.Contains("application/json", response, StringComparison.Ordinal);
        Assert.Contains("\"error\":\"request_too_large\"", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_headers_are_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ".well-known/jwks.json");
        request.Headers.Add("X-Junk", new string('a', 40 * 1024));
        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task An_oversized_url_is_refused()
    {
        using var response = await _server.Client.GetAsync(".well-known/jwks.json?" + new string('a', 16 * 1024));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")]
    [InlineData("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")]
    [InlineData("GET /\x01\x02 HTTP/1.1\r\nHost: x\r\n\r\n")]
    public async Task Malformed_http_gets_a_400_class_answer(string raw)
    {
        var status = await SendRawAsync(raw);

        Assert.InRange(status, 400, 499);
    }

    [Fact]
    public async Task An_unknown_http_version_is_answered_as_the_protocol_says()
    {
        // RFC 9110 names the answer to an unsupported version: 505, not a generic server error.
        Assert.Equal(505, await SendRawAsync("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"));
    }

    [Fact]
    public async Task None_of_many_hostile_requests_produces_a_server_error()
    {
        var requests = new List<HttpRequestMessage>();
        foreach (var path in new[] { "", "healthz", ".well-known/jwks.json", ".well-known/openid-configuration", "%00", "%ff%fe", "a/b/c/d/e/f/g", "api/v1/enroll/options", "api/v1/enroll", "api/v1/login/options", "api/v1/login", "api/v1/token" })
        {
            foreach (var method in new[] { "GET", "HEAD", "POST", "OPTIONS", "TRACE", "PROPFIND" })
            {
                var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method == "POST") request.Content = new StringContent("{\"a\":", Encoding.UTF8, "application/json");
                request.Headers.TryAddWithoutValidation("If-None-Match", "W/\"garbage, *");
                requests.Add(request);
            }
        }

        foreach (var request in requests)
        {
            using (request)
            using (var response = await _server.Client.SendAsync(request))
            {
                Assert.True((int)response.StatusCode < 500, $"{request.Method} /{request.RequestUri} answered {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Hundreds_of_slow_clients_do_not_starve_a_normal_one()
    {
        // Slowloris: each connection sends half a request and then a byte now and then, to hold its slot.
        var port = new Uri(_server.Issuer).Port;
        var slow = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 300; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                await client.GetStream().WriteAsync("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "u8.ToArray());
                slow.Add(client);
            }
            foreach (var client in slow) await client.GetStream().WriteAsync("a"u8.ToArray());

            using var response = await _server.Client.GetAsync(".well-known/jwks.json");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            foreach (var client in slow) client.Dispose();
        }
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_cut_off_at_the_deadline()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(_server.Issuer).Port);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n"u8.ToArray());

        // Kestrel's RequestHeadersTimeout (10 s) ends it with 408, then closes; nothing is waited for beyond it.
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_trickles_its_body_is_cut_off()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(_server.Issuer).Port);
        var stream = client.GetStream();
        await stream.WriteAsync("POST /api/v1/enroll/options HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"u8.ToArray());
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // A byte a second is far below Kestrel's minimum body rate (240 bytes/s after a 5 s grace): the server hangs up.
        var closed = false;
        while (!closed && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await stream.WriteAsync(" "u8.ToArray());
                await Task.Delay(1000);
                closed = client.Client.Poll(0, SelectMode.SelectRead) && client.Client.Available == 0;
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the server still waits for a body sent at a byte a second after 30 s");
    }

    private async Task<int> SendRawAsync(string raw)
    {
        var uri = new Uri(_server.Issuer);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, uri.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(raw));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var statusLine = await reader.ReadLineAsync() ?? throw new InvalidOperationException("no answer");
        return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
