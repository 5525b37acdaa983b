using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>
/// Raw requests on a socket (the campaign's second category): mutated methods, targets, versions, headers and framing
/// (Content-Length, chunked bodies, duplicated headers). Never a 5xx except Kestrel's documented 505 for an HTTP
/// version it does not speak (fuzz finding F7), never a type name, and a JSON refusal has the documented shape.
/// </summary>
public sealed partial class ApiFuzzTests
{
    /// <summary>One raw request and whether its version is one Kestrel speaks on this listener.</summary>
    public sealed record RawRequest(byte[] Bytes, bool KnownVersion)
    {
        public override string ToString() => JsonSerializer.Serialize(Encoding.Latin1.GetString(Bytes));
    }

    private static Gen<string> Printable(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0x21, 0x7e).Select(c => (char)c), n)).Select(c => new string(c));

    private static Gen<string> HeaderLines(string? contentType, int bodyLength) => Gen.OneOf(
        Gen.Constant(contentType is null ? "" : $"Content-Type: {contentType}\r\n"),
        Gen.Constant($"Content-Type: {contentType ?? "application/json"}\r\nContent-Type: application/json; charset=utf8\r\n"),
        Gen.Elements("Content-Length: 0\r\n", $"Content-Length: {bodyLength}\r\nContent-Length: {bodyLength + 1}\r\n", "Content-Length: -1\r\n",
            "Content-Length: 99999999999999999999\r\n", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "Expect: 100-continue\r\n", "Accept: text/html\r\n", "Host: evil.example\r\n",
            "Authorization: Bearer vs_\r\n", "Authorization: Basic Og==\r\n", "Cookie: vouch-csrf=CfDJ8garbage; vouch=x\r\n",
            "X-Forwarded-For: 1.2.3.4\r\n", "Connection: keep-alive, Upgrade\r\nUpgrade: h2c\r\n", " folded: x\r\n", "NoColon\r\n", ":\r\n"),
        Gen.Zip(Printable(20).Where(n => n.Length > 0 && !n.Contains(':')), Printable(60)).Select(p => $"{p.Item1}: {p.Item2}\r\n"));

    private static Gen<RawRequest> RawRequests() =>
        from method in Gen.Frequency((6, Gen.Elements("GET", "POST")), (1, Gen.Elements("HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "get", "")), (1, Printable(8)))
        from target in Gen.Frequency(
            (6, Gen.Elements(Routes).Select(r => r.Route)),
            (2, Gen.Elements("/login", "/login?handler=Finish", "/account", "/admin/audit?to=9999-12-31", "/enroll?code=x", "/logout", "/error/500")),
            (1, Gen.Elements("*", "http://evil.example/", "/%00", "/..%2f..%2fetc/passwd", "//evil.example", "/api/v1/%ff", "/?" + new string('a', 9000))),
            (1, Printable(40).Select(p => "/" + p)))
        from version in Gen.Frequency((8, Gen.Constant("HTTP/1.1")), (2, Gen.Elements("HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "", "HTTP/1.1x", "http/1.1", "HTTP/1")))
        from body in Bodies().Select(b => b.Length > 4096 ? b[..4096] : b)
        from contentType in ContentTypes()
        from extra in Gen.ListOf(HeaderLines(contentType, body.Length)).Select(h => string.Concat(h.Take(4)))
        from chunked in ArbMap.Default.GeneratorFor<bool>()
        select Build(method, target, version, body, extra, chunked);

    private static RawRequest Build(string method, string target, string version, byte[] body, string extra, bool chunked)
    {
        var head = new StringBuilder($"{method} {target} {version}\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}");
        // The body is always complete for the framing the request announces: a short body only makes Kestrel wait (408).
        byte[] framed;
        if (extra.Contains("Transfer-Encoding", StringComparison.Ordinal) || extra.Contains("Content-Length", StringComparison.Ordinal) || chunked)
        {
            if (!extra.Contains("Transfer-Encoding", StringComparison.Ordinal)) head.Append("Transfer-Encoding: chunked\r\n");
            framed = [.. Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8];
        }
        else
        {
            head.Append($"Content-Length: {body.Length}\r\n");
            framed = body;
        }
        head.Append("\r\n");
        return new RawRequest([.. Encoding.Latin1.GetBytes(head.ToString()), .. framed], version is "HTTP/1.1" or "HTTP/1.0");
    }

    [Fact]
    public async Task Raw_requests_with_mutated_headers_and_framing_never_get_a_server_error()
    {
        var port = new Uri(_server.Issuer).Port;
        var run = await Fuzz.CheckAsync("raw requests", seed: 20261221, count: 300, RawRequests(), async request =>
        {
            var answer = await RawHttp.SendAsync(port, request.Bytes);
            if (answer.Length == 0) return; // closed with no answer: only for input Kestrel cannot frame at all
            var status = int.Parse(answer.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
            var split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var headers = split < 0 ? answer : answer[..split];
            var body = split < 0 ? "" : answer[(split + 4)..];
            FuzzLeaks.AssertNone(answer, "the raw answer");
            if (status == 505 && !request.KnownVersion) return;
            Assert.True(status < 500, $"answered {status}: {answer}");
            if (status >= 400 && headers.Contains("Content-Type: application/json", StringComparison.OrdinalIgnoreCase) && !headers.Contains("chunked", StringComparison.Ordinal) && body.Length > 0)
            {
                var root = JsonDocument.Parse(body).RootElement;
                Assert.Matches("^[a-z]+(_[a-z]+)*$", root.GetProperty("error").GetString());
                Assert.True(root.TryGetProperty("error_description", out _), body);
            }
        });

        output.WriteLine(run.ToString());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _server.Client.GetAsync(ApiRoutes.Health.TrimStart('/'))).StatusCode);
    }
}
