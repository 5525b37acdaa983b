using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Vouch.Protocol;
using Vouch.Server.Sessions;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.Server.Tests.Hosting;

/// <summary>
/// Generated hostile input on every route of <see cref="ApiRoutes"/>: random JSON shapes and types, huge numbers, deep
/// nesting, invalid UTF-8, random bytes, random base64url in credential fields, and real ceremonies mutated. The
/// answer is never a 5xx, and a refusal always carries a stable error code. Seeds are fixed (see <see cref="Fuzz"/>).
/// </summary>
public sealed partial class ApiFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private InProcessServer _server = null!;
    private ApiUser _alice = null!;
    private string _session = null!;

    public async Task InitializeAsync()
    {
        // Limits high enough that the fuzzing is not simply answered 429.
        _server = await InProcessServer.StartAsync(attestation: AttestationPolicy.Any, configure: settings => settings with
        {
            WebAuthn = settings.WebAuthn with { CeremoniesPerMinute = 100_000 },
            Sessions = new SessionLimits { RequestsPerMinute = 100_000 },
        });
        _alice = new ApiUser(_server);
        _session = await _alice.EnrollAndLoginAsync();
    }

    public async Task DisposeAsync()
    {
        _alice.Dispose();
        await _server.DisposeAsync();
    }

    private static readonly (string Method, string Route)[] Routes =
    [
        ("POST", ApiRoutes.EnrollOptions), ("POST", ApiRoutes.Enroll), ("POST", ApiRoutes.LoginOptions), ("POST", ApiRoutes.Login),
        ("POST", ApiRoutes.Token), ("GET", ApiRoutes.Session), ("POST", ApiRoutes.Logout),
        ("GET", ApiRoutes.Discovery), ("GET", ApiRoutes.Jwks), ("GET", ApiRoutes.Health),
    ];

    private static readonly string[] FieldNames =
    [
        "invite", "email", "ceremony", "credential", "assertion", "audience", "id", "rawId", "type", "response",
        "clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle", "clientExtensionResults",
        "authenticatorAttachment", "transports", "", "__proto__", "constructor", "ceremony\u0000", "INVITE",
    ];

    /// <summary>A request: where, what body (bytes), with what content type, and whether with Alice's live session.</summary>
    public sealed record Attempt(string Method, string Route, byte[] Body, string? ContentType, bool WithSession)
    {
        public override string ToString() =>
            $"{Method} {Route} ({ContentType ?? "no content type"}{(WithSession ? ", with a session" : "")}): {Encoding.UTF8.GetString(Body)}";
    }

    private static Gen<string> Strings() => Gen.OneOf(
        ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""),
        Gen.Elements("", " ", "null", "\u0000", "\ud800", "\uffff", "vi_", "vs_", InviteLike(), "00000000-0000-0000-0000-000000000000",
            "public-key", "webauthn.get", "webauthn.create", "http://127.0.0.1", "alice@example.com", "../../etc/passwd", "%00", "' OR 1=1 --"),
        Base64Urls(),
        Gen.Choose(1, 70_000).Select(n => new string('A', n)));

    private static string InviteLike() => "vi_" + new string('A', 32);

    private static Gen<string> Base64Urls() =>
        Gen.Choose(0, 600).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)).Select(b => Base64Url.EncodeToString(b));

    private static Gen<JsonNode?> Numbers() => Gen.OneOf(
        ArbMap.Default.GeneratorFor<int>().Select(i => (JsonNode?)JsonValue.Create(i)),
        ArbMap.Default.GeneratorFor<long>().Select(i => (JsonNode?)JsonValue.Create(i)),
        ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite).Select(d => (JsonNode?)JsonValue.Create(d)),
        Gen.Elements("1e999", "-1e999", "99999999999999999999999999999999999999", "-0", "0.0000000000000000000000001", "1E+400")
            .Select(n => JsonNode.Parse(n)));

    /// <summary>Random JSON: objects keyed mostly by the API's own field names, any value type anywhere.</summary>
    private static Gen<JsonNode?> Json() => Gen.Sized<JsonNode?>(size => Json(size));

    private static Gen<JsonNode?> Json(int size)
    {
        var leaf = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            ArbMap.Default.GeneratorFor<bool>().Select(b => (JsonNode?)JsonValue.Create(b)),
            Numbers(),
            Strings().Select(s => (JsonNode?)JsonValue.Create(s)));
        if (size <= 1) return leaf;
        var child = Gen.Resize(Gen.Sized<JsonNode?>(s => Json(s)), size / 3);
        var key = Gen.OneOf(Gen.Elements(FieldNames), ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));
        var obj = Gen.Choose(0, 6).SelectMany(n => Gen.ListOf(Gen.Zip(key, child), n)).Select(pairs =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in pairs) o[k] = v?.DeepClone();
            return (JsonNode?)o;
        });
        var array = Gen.Choose(0, 6).SelectMany(n => Gen.ListOf(child, n)).Select(items => (JsonNode?)new JsonArray(items.Select(i => i?.DeepClone()).ToArray()));
        return Gen.Frequency((2, leaf), (5, obj), (2, array));
    }

    private static Gen<byte[]> Bodies() => Gen.Frequency(
        (6, Json().Select(j => Encoding.UTF8.GetBytes(j?.ToJsonString() ?? "null"))),
        // Deep nesting, past System.Text.Json's default depth.
        (1, Gen.Zip(Gen.Choose(1, 5000), Gen.Elements("[", "{\"invite\":", "{\"credential\":{\"response\":")).Select(p =>
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(p.Item2, p.Item1))))),
        // Invalid UTF-8 inside a string of a real field.
        (1, Gen.Zip(Gen.Elements(FieldNames), Gen.ArrayOf(Gen.Elements<byte>(0x80, 0xC0, 0xC3, 0xE2, 0xED, 0xF5, 0xFF, 0xFE, 0x28)))
            .Select(p => (byte[])[.. Encoding.UTF8.GetBytes($"{{\"{p.Item1}\":\""), .. p.Item2, .. "\"}"u8])),
        // Random bytes.
        (1, ArbMap.Default.GeneratorFor<byte[]>()),
        // Valid JSON cut anywhere.
        (1, Json().SelectMany(j =>
        {
            var bytes = Encoding.UTF8.GetBytes(j?.ToJsonString() ?? "null");
            return Gen.Choose(0, bytes.Length).Select(n => bytes[..n]);
        })));

    /// <summary>Content types as clients send them, and the campaign's mutated charsets and junk (fuzz finding F1).</summary>
    private static Gen<string?> ContentTypes()
    {
        var printable = Gen.Choose(0x21, 0x7e).Select(c => (char)c);
        var charsets = Gen.OneOf(
            Gen.Elements("utf-8", "UTF-8", "\"utf-8\"", "\"UTF-8\"", "utf8", "\"utf8\"", "bogus", "utf-7", "shift_jis", "gb18030", "ibm037", "", "\"\"",
                "utf-16", "utf-32", "iso-8859-1", "us-ascii", "latin1", "'utf-8'", "\"utf-8", "utf-8; charset=utf8", "\u001b[31mX\u001b[0m"),
            Gen.Choose(1, 20).SelectMany(n => Gen.ArrayOf(printable, n)).Select(c => new string(c)));
        return Gen.Frequency(
            (5, Gen.Elements<string?>("application/json", "application/json; charset=utf-8", "text/plain", null, "application/x-www-form-urlencoded")),
            (4, Gen.Zip(Gen.Elements("application/json", "APPLICATION/JSON", "application/problem+json", "text/plain", "application/json;"), charsets)
                .Select(p => (string?)$"{p.Item1}; charset={p.Item2}")),
            (1, Gen.Elements<string?>("", ";", "application/json;", "application/json; charset", "*/*", "application/*", "application/json; boundary=x",
                "multipart/form-data", "multipart/form-data; boundary=x", "application/json, text/plain", "application/json; charset=utf-8; q=1")));
    }

    private static Gen<Attempt> Attempts() =>
        from route in Gen.Elements(Routes)
        from body in Bodies()
        from contentType in ContentTypes()
        from withSession in ArbMap.Default.GeneratorFor<bool>()
        select new Attempt(route.Method, route.Route, body, contentType, withSession);

    private async Task<(HttpStatusCode Status, string Body, string? MediaType)> SendAsync(Attempt attempt)
    {
        using var request = new HttpRequestMessage(new HttpMethod(attempt.Method), attempt.Route.TrimStart('/'));
        var content = new ByteArrayContent(attempt.Body);
        content.Headers.ContentType = null;
        // Unvalidated: the mutated content types are not all valid headers, and that is the point.
        if (attempt.ContentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", attempt.ContentType);
        request.Content = content;
        // Never on logout: the other routes would then only ever see a revoked session.
        if (attempt.WithSession && attempt.Route != ApiRoutes.Logout) request.Headers.Authorization = new("Bearer", _session);
        using var response = await _server.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>No 5xx; a refusal is JSON with a stable error code (lower-case words joined by underscores).</summary>
    private static void AssertCleanAnswer(HttpStatusCode status, string body, string? mediaType)
    {
        Assert.True((int)status < 500, $"answered {(int)status}: {body}");
        FuzzLeaks.AssertNone(body, "the answer");
        if ((int)status < 400) return;
        Assert.Equal("application/json", mediaType);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();
        Assert.Matches("^[a-z]+(_[a-z]+)*$", error);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(body).RootElement.GetProperty("error_description").GetString()));
    }

    [Fact]
    public async Task Random_requests_on_every_route_never_get_a_server_error()
    {
        var run = await Fuzz.CheckAsync("random requests on every route", seed: 20261201, count: 600, Attempts(), async attempt =>
        {
            var (status, body, mediaType) = await SendAsync(attempt);
            AssertCleanAnswer(status, body, mediaType);
        }, maxSize: 60);

        output.WriteLine(run.ToString());
    }

    [Fact]
    public async Task Random_bearer_values_are_refused_as_invalid_sessions()
    {
        var printable = Gen.Choose(0x20, 0x7e).Select(c => (char)c);
        var bearers = Gen.OneOf(
            Gen.Choose(0, 200).SelectMany(n => Gen.ArrayOf(printable, n)).Select(c => new string(c).Trim()),
            Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(printable, n)).Select(c => SessionService.TokenPrefix + new string(c).Trim()),
            Base64Urls().Select(b => SessionService.TokenPrefix + b));
        var cases = Gen.Zip(bearers, Gen.Elements(("POST", ApiRoutes.Token), ("GET", ApiRoutes.Session), ("POST", ApiRoutes.Logout)));
        var run = await Fuzz.CheckAsync("random bearer values", seed: 20261205, count: 300, cases, async c =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Item2.Item1), c.Item2.Item2.TrimStart('/'));
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + c.Item1);
            using var response = await _server.Client.SendAsync(request);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(ErrorCodes.InvalidSession, body.GetProperty("error").GetString());
        });

        output.WriteLine(run.ToString());
        Assert.Equal(HttpStatusCode.OK, (await _alice.TokenAsync(_session)).Status);
    }
}
