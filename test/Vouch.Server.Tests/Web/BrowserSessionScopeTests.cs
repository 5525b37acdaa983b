using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Web;

/// <summary>
/// The pages' cookie authentication runs for page and asset requests only: the JSON API, the discovery documents and
/// the health check never pay for it (it would read the browser's session from the database on every request that
/// carries the cookie).
/// </summary>
public sealed class BrowserSessionScopeTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _authenticated = new();
    private InProcessServer _server = null!;

    /// <summary>ASP.NET Core's authentication service, noting the path of every request it authenticates.</summary>
    private sealed class CountingAuthentication(
        IAuthenticationSchemeProvider schemes, IAuthenticationHandlerProvider handlers, IClaimsTransformation transform,
        IOptions<AuthenticationOptions> options, ConcurrentQueue<string> paths) : AuthenticationService(schemes, handlers, transform, options)
    {
        public override Task<AuthenticateResult> AuthenticateAsync(HttpContext context, string? scheme)
        {
            paths.Enqueue(context.Request.Path.Value ?? "");
            return base.AuthenticateAsync(context, scheme);
        }
    }

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(services: services => services.AddScoped<IAuthenticationService>(provider =>
        new CountingAuthentication(
            provider.GetRequiredService<IAuthenticationSchemeProvider>(), provider.GetRequiredService<IAuthenticationHandlerProvider>(),
            provider.GetRequiredService<IClaimsTransformation>(), provider.GetRequiredService<IOptions<AuthenticationOptions>>(), _authenticated)));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<HttpStatusCode> SendAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (method == HttpMethod.Post) request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer vs_not-a-live-session");
        // A browser's sign-in cookie rides along with every request to the server, API calls included.
        request.Headers.TryAddWithoutValidation("Cookie", "vouch=some-sealed-ticket");
        using var response = await _server.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Api_discovery_and_health_requests_are_never_cookie_authenticated()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Post, ApiRoutes.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, ApiRoutes.Session));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, ApiRoutes.Discovery));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, ApiRoutes.Health));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Get, ApiRoutes.ApiPrefix + "/no-such-thing"));

        Assert.Empty(_authenticated);
    }

    [Fact]
    public async Task A_page_request_is_cookie_authenticated()
    {
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/login"));

        Assert.Contains("/login", _authenticated);
    }
}
