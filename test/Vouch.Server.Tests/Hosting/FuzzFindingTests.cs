using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vouch.Protocol;
using Vouch.Server.Hosting;
using Vouch.Server.Sessions;
using Vouch.Server.Web;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>
/// The black-box fuzz campaign's findings (docs/security.md, "Fuzz findings"), each with the campaign's own
/// reproducer: every one is now a 4xx with the documented shape, or a clean page, and logs no stack trace.
/// </summary>
public sealed class FuzzFindingTests : IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private InProcessServer _server = null!;
    private ApiUser _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(attestation: AttestationPolicy.Any, logs: _logs, configure: settings => settings with
        {
            WebAuthn = settings.WebAuthn with { CeremoniesPerMinute = 10_000 },
            Sessions = new SessionLimits { RequestsPerMinute = 10_000 },
        });
        // The first user enrolled is the administrator.
        _admin = new ApiUser(_server, "admin@example.com");
        await _admin.EnrollAsync();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    private static string Input(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "Fuzz", name);

    private int Port => new Uri(_server.Issuer).Port;

    private async Task<(HttpStatusCode Status, string Body, string? MediaType)> PostJsonAsync(string route, string contentType, string body, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route.TrimStart('/')) { Content = new StringContent(body) };
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await _server.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    private void AssertNoStackTraceLogged()
    {
        var failed = _logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message} {e.Exception}").ToList();
        Assert.True(failed.Count == 0, string.Join('\n', failed));
    }

    [Fact]
    public async Task F1_the_reproducer_with_charset_utf8_is_a_415_with_a_stable_code()
    {
        var answer = await RawHttp.SendAsync(Port, await File.ReadAllBytesAsync(Input("F1-json-charset.http")));

        Assert.StartsWith("HTTP/1.1 415 ", answer, StringComparison.Ordinal);
        Assert.Contains($"\"error\":\"{ErrorCodes.UnsupportedMediaType}\"", answer, StringComparison.Ordinal);
        Assert.Contains("\"error_description\":", answer, StringComparison.Ordinal);
        AssertNoStackTraceLogged();
    }

    [Theory]
    [InlineData("charset=bogus"), InlineData("charset=utf8"), InlineData("charset=utf-7"), InlineData("charset=shift_jis"), InlineData("charset=gb18030")]
    [InlineData("charset=ibm037"), InlineData("charset="), InlineData("charset=utf-16"), InlineData("charset=iso-8859-1"), InlineData("charset=\"\u001b[31mCOLOURED\u001b[0m\"")]
    public async Task F1_a_json_charset_other_than_utf8_is_refused_415_on_every_json_route(string parameter)
    {
        foreach (var (route, body) in new[] { (ApiRoutes.LoginOptions, "{}"), (ApiRoutes.EnrollOptions, "{\"invite\":\"x\"}"), (ApiRoutes.Login, "{}"), (ApiRoutes.Enroll, "{}"), (ApiRoutes.Token, "{}") })
        {
            var (status, text, mediaType) = await PostJsonAsync(route, "application/json; " + parameter, body);

            Assert.True(status == HttpStatusCode.UnsupportedMediaType, $"{route} with {parameter}: {(int)status} {text}");
            FuzzLeaks.AssertClean(status, text, mediaType, route);
            Assert.Contains(ErrorCodes.UnsupportedMediaType, text, StringComparison.Ordinal);
        }
        AssertNoStackTraceLogged();
        // F4: no raw control character of the header reached the log.
        Assert.DoesNotContain(_logs.Messages, m => m.Contains('\u001b', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8"), InlineData("application/json; charset=UTF-8"), InlineData("application/json; charset=\"utf-8\""), InlineData("application/json;charset=\"UTF-8\"")]
    public async Task F1_utf8_in_any_case_and_quoted_is_accepted(string contentType)
    {
        var (status, text, _) = await PostJsonAsync(ApiRoutes.LoginOptions, contentType, "{}");
        Assert.True(status == HttpStatusCode.OK, text);

        // The token endpoint then checks the session as without a charset: 401, never a 500.
        var (token, tokenText, _) = await PostJsonAsync(ApiRoutes.Token, contentType, "{}");
        Assert.True(token == HttpStatusCode.Unauthorized, tokenText);
        Assert.Contains(ErrorCodes.InvalidSession, tokenText, StringComparison.Ordinal);
        var session = await _admin.LoginForSessionAsync();
        Assert.Equal(HttpStatusCode.OK, (await PostJsonAsync(ApiRoutes.Token, contentType, "{}", session)).Status);
    }

    [Fact]
    public async Task F2_a_form_field_name_with_an_unbalanced_bracket_is_a_400_on_the_login_handler()
    {
        using var browser = new PageVisitor(_server);
        var token = await browser.TokenAsync("/login");

        foreach (var content in new HttpContent[] { FormBody(await File.ReadAllBytesAsync(Input("F2-form-bracket-key.body"))), Multipart("a[", "1"), FormBody("a=1"u8.ToArray()) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "login?handler=Finish") { Content = content };
            request.Headers.Add("RequestVerificationToken", token);
            using var response = await browser.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{content.Headers.ContentType}: {(int)response.StatusCode} {body}");
            FuzzLeaks.AssertClean(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType, "login Finish");
        }
        AssertNoStackTraceLogged();
    }

    [Theory]
    [InlineData("/admin", "Disable"), InlineData("/admin", "Promote"), InlineData("/admin/invites", "Create"), InlineData("/admin/invites", "Revoke")]
    [InlineData("/admin/keys", "Revoke"), InlineData("/admin/sessions", "Revoke"), InlineData("/account", "Rename")]
    public async Task F2_a_form_field_name_with_an_unbalanced_bracket_is_answered_as_a_plain_one_on_signed_in_handlers(string page, string handler)
    {
        using var browser = new PageVisitor(_server);
        await browser.SignInAsync(_admin);
        var token = await browser.TokenAsync(page);

        async Task<(HttpStatusCode, string)> PostAsync(HttpContent content, bool tokenInForm = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{page.TrimStart('/')}?handler={handler}") { Content = content };
            if (!tokenInForm) request.Headers.Add("RequestVerificationToken", token);
            using var response = await browser.Client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (plain, _) = await PostAsync(FormBody("a=1"u8.ToArray()));
        foreach (var (content, inForm) in new (HttpContent, bool)[]
        {
            (FormBody("a[=1"u8.ToArray()), false), (Multipart("a[", "1"), false),
            (FormBody(Encoding.ASCII.GetBytes("a[=1&__RequestVerificationToken=" + Uri.EscapeDataString(token))), true),
        })
        {
            var (status, body) = await PostAsync(content, inForm);
            Assert.True((int)status < 500, $"{page}?handler={handler}: {(int)status} {body}");
            Assert.Equal(plain, status);
            FuzzLeaks.AssertNone(body, page);
        }
        AssertNoStackTraceLogged();
    }

    [Theory]
    [InlineData("to=9999-12-31"), InlineData("from=9999-12-31&to=9999-12-31"), InlineData("type=x&who=a%40example.com&from=-1&to=9999-12-31")]
    [InlineData("from=0001-01-01&to=0001-01-01"), InlineData("from=10000-01-01"), InlineData("from=2026-13-45"), InlineData("from=abc")]
    public async Task F3_the_audit_page_takes_any_date_without_an_error(string query)
    {
        using var browser = new PageVisitor(_server);
        await browser.SignInAsync(_admin);

        using var response = await browser.Client.GetAsync("admin/audit?" + query);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertNoStackTraceLogged();
    }

    [Fact]
    public void F4_the_console_log_escapes_control_characters_of_any_message_and_exception()
    {
        var log = new StringWriter();
        var exception = new InvalidOperationException("charset '\u001b[31mCOLOURED\u001b[0m' \u0000 is not known\nforged: line");

        new EscapingConsoleFormatter().Write(
            new LogEntry<string>(LogLevel.Error, "Test", new EventId(7), "message \u001b[2J\r\nforged, already escaped: \\x1b", exception, (state, _) => state), null, log);

        var text = log.ToString();
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0000', text);
        // What LogText.Escape escaped already is kept as it is, not escaped twice.
        Assert.Contains(@"fail: Test[7] message \x1b[2J\r\nforged, already escaped: \x1b", text, StringComparison.Ordinal);
        Assert.Contains(@"charset '\x1b[31mCOLOURED\x1b[0m' \x00 is not known", text, StringComparison.Ordinal);
        Assert.Equal(text.Length - Environment.NewLine.Length, text.IndexOf(Environment.NewLine, StringComparison.Ordinal));
    }

    [Fact]
    public async Task F5_a_malformed_credential_is_audited_by_its_json_path_without_type_names()
    {
        var (status, body) = await _admin.LoginAsync(assertion => { assertion["type"] = "x-not-a-type"; return assertion; });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());

        using var browser = new PageVisitor(_server);
        await browser.SignInAsync(_admin);
        var page = await browser.Client.GetStringAsync("admin/audit?type=login.failed");

        var details = string.Join('\n', page.Split('\n').Where(l => l.Contains("audit-data", StringComparison.Ordinal)));
        Assert.True(details.Contains("malformed credential JSON at $.type", StringComparison.Ordinal), details);
        FuzzLeaks.AssertNone(page, "/admin/audit");
    }

    [Fact]
    public async Task F7_kestrel_answers_an_http_version_it_does_not_speak_505_as_documented()
    {
        foreach (var line in new[] { "GET /healthz HTTP/2.0", "GET /healthz HTTP/9.9" })
        {
            var answer = await RawHttp.SendAsync(Port, Encoding.ASCII.GetBytes(line + "\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 505 ", answer, StringComparison.Ordinal);
            FuzzLeaks.AssertNone(answer, line);
        }
    }

    [Fact]
    public async Task F8_a_garbage_antiforgery_cookie_logs_no_stack_trace_and_is_answered_as_before()
    {
        using var client = new HttpClient { BaseAddress = new Uri(_server.Issuer.TrimEnd('/') + "/") };
        using var get = new HttpRequestMessage(HttpMethod.Get, "login");
        get.Headers.Add("Cookie", BrowserSessions.LoopbackAntiforgeryCookieName + "=CfDJ8garbage%00AAAA");
        using var page = await client.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith(BrowserSessions.LoopbackAntiforgeryCookieName + "=", StringComparison.Ordinal));

        using var post = new HttpRequestMessage(HttpMethod.Post, "login?handler=Finish") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        post.Headers.Add("Cookie", BrowserSessions.LoopbackAntiforgeryCookieName + "=CfDJ8garbage");
        post.Headers.Add("RequestVerificationToken", "CfDJ8garbage");
        using var refused = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        AssertNoStackTraceLogged();
    }

    private static ByteArrayContent FormBody(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        return content;
    }

    private static MultipartFormDataContent Multipart(string name, string value)
    {
        var content = new MultipartFormDataContent();
        var part = new StringContent(value);
        part.Headers.Remove("Content-Type");
        part.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"{name}\"");
        content.Add(part);
        return content;
    }
}
