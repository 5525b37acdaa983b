using System.Net.Http.Headers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Vouch.Server.Web;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.Server.Tests.Hosting;

/// <summary>
/// The campaign's third category: the pages' POST handlers, anonymous and as a signed-in administrator, with and
/// without the anti-forgery token (in the header, in the form, mutated, or a garbage cookie), and bodies as forms with
/// hostile field names (unbalanced brackets: fuzz finding F2), multipart, JSON and random bytes. Never a 5xx, never a
/// type name. Seeds are fixed (see <see cref="Fuzz"/>).
/// </summary>
public sealed class PageFormFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private InProcessServer _server = null!;
    private ApiUser _admin = null!;
    private PageVisitor _browser = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(attestation: AttestationPolicy.Any, configure: settings => settings with
        {
            WebAuthn = settings.WebAuthn with { CeremoniesPerMinute = 100_000 },
        });
        _admin = new ApiUser(_server, "admin@example.com");
        await _admin.EnrollAsync();
        _browser = new PageVisitor(_server);
        await _browser.SignInAsync(_admin);
    }

    public async Task DisposeAsync()
    {
        _browser.Dispose();
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    // Never SignOutEverywhere, Demote or /logout: the signed-in cases would then test only the sign-in redirect.
    private static readonly (string Page, string Handler)[] Handlers =
    [
        ("/login", "Finish"), ("/admin", "Disable"), ("/admin", "Enable"), ("/admin", "Promote"), ("/admin/invites", "Create"),
        ("/admin/invites", "Revoke"), ("/admin/keys", "Revoke"), ("/admin/sessions", "Revoke"), ("/account", "Rename"),
        ("/account", "Remove"), ("/account", "SpareOptions"), ("/account", "SpareFinish"),
    ];

    public enum TokenUse { Header, Form, None, Mutated, GarbageCookie }

    public sealed record PagePost(string Page, string Handler, TokenUse Token, string ContentType, byte[] Body)
    {
        public override string ToString() => $"{Page}?handler={Handler} ({Token}, {ContentType}): {Encoding.Latin1.GetString(Body)}";
    }

    private static Gen<string> Keys() => Gen.OneOf(
        Gen.Elements("a[", "a[b", "a]", "[", "[]", "a[0", "a[0][", "email", "id", "name", "confirm", "ceremony", "__RequestVerificationToken[",
            "handler", "returnUrl", "%1B[31mX[", "a%00[", "\u00e9[", "a.b[", "a[b]]", ""),
        ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));

    private static Gen<string> Values() => Gen.OneOf(
        Gen.Elements("1", "", "nobody@example.com", "00000000-0000-0000-0000-000000000000", "true", "x\r\ny", "%", "\u0000", new string('v', 3000)),
        ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));

    private static Gen<(string ContentType, byte[] Body)> Bodies() => Gen.OneOf(
        Gen.ListOf(Gen.Zip(Keys(), Values())).Select(pairs => ("application/x-www-form-urlencoded",
            Encoding.UTF8.GetBytes(string.Join('&', pairs.Take(6).Select(p => Escape(p.Item1) + "=" + Uri.EscapeDataString(p.Item2)))))),
        Gen.ListOf(Gen.Zip(Keys(), Values())).Select(pairs => Multipart(pairs.Take(4))),
        Gen.Elements("{}", "{\"ceremony\":\"x\",\"assertion\":{}}", "[", "null", "{\"credential\":{\"type\":1}}")
            .SelectMany(json => Gen.Elements("application/json", "application/json; charset=utf8", "application/json; charset=\"utf-8\"", "text/plain")
                .Select(type => (type, Encoding.UTF8.GetBytes(json)))),
        ArbMap.Default.GeneratorFor<byte[]>().SelectMany(bytes => Gen.Elements("application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded; charset=bogus", "application/octet-stream").Select(type => (type, bytes))));

    // Brackets stay raw (the campaign's "a[=1"); everything else is percent-encoded as a browser would.
    private static string Escape(string key) => Uri.EscapeDataString(key).Replace("%5B", "[", StringComparison.Ordinal).Replace("%5D", "]", StringComparison.Ordinal);

    private static (string, byte[]) Multipart(IEnumerable<(string Key, string Value)> pairs)
    {
        var body = new StringBuilder();
        foreach (var (key, value) in pairs)
            body.Append($"--fuzz\r\nContent-Disposition: form-data; name=\"{key.Replace("\"", "", StringComparison.Ordinal).ReplaceLineEndings("")}\"\r\n\r\n{value}\r\n");
        body.Append("--fuzz--\r\n");
        return ("multipart/form-data; boundary=fuzz", Encoding.UTF8.GetBytes(body.ToString()));
    }

    private static Gen<PagePost> Posts() =>
        from handler in Gen.Elements(Handlers)
        from token in Gen.Elements(TokenUse.Header, TokenUse.Header, TokenUse.Form, TokenUse.None, TokenUse.Mutated, TokenUse.GarbageCookie)
        from body in Bodies()
        select new PagePost(handler.Page, handler.Handler, token, body.ContentType, body.Body);

    private async Task SendAsync(PagePost post)
    {
        // One token serves every page of the signed-in browser (/login itself redirects it to /account).
        var token = await _browser.TokenAsync("/account");
        var body = post.Token == TokenUse.Form && post.ContentType.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal)
            ? [.. post.Body, .. Encoding.ASCII.GetBytes("&__RequestVerificationToken=" + Uri.EscapeDataString(token))]
            : post.Body;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{post.Page.TrimStart('/')}?handler={post.Handler}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", post.ContentType);
        if (post.Token is TokenUse.Header or TokenUse.GarbageCookie) request.Headers.Add(BrowserSessions.AntiforgeryHeaderName, token);
        if (post.Token == TokenUse.Mutated) request.Headers.Add(BrowserSessions.AntiforgeryHeaderName, token[..^3] + "AAA");
        HttpResponseMessage response;
        if (post.Token == TokenUse.GarbageCookie)
        {
            // A browser of its own: a garbage cookie and no sign-in.
            using var anonymous = new HttpClient { BaseAddress = _browser.Client.BaseAddress };
            request.Headers.Add("Cookie", BrowserSessions.LoopbackAntiforgeryCookieName + "=CfDJ8" + Convert.ToBase64String(post.Body.Take(40).ToArray()));
            response = await anonymous.SendAsync(request);
        }
        else
        {
            response = await _browser.Client.SendAsync(request);
        }
        using (response)
            FuzzLeaks.AssertClean(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType, post.ToString());
    }

    [Fact]
    public async Task Page_posts_with_hostile_forms_and_tokens_never_get_a_server_error()
    {
        var run = await Fuzz.CheckAsync("page posts", seed: 20261222, count: 250, Posts(), SendAsync, maxSize: 30);

        output.WriteLine(run.ToString());
        // Still signed in: the cases ran against the handlers, not the sign-in redirect.
        using var account = await _browser.Client.GetAsync("account");
        Assert.Equal(System.Net.HttpStatusCode.OK, account.StatusCode);
    }
}
