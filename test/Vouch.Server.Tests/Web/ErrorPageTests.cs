using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Web;

/// <summary>
/// A browser's failed page request gets a small HTML page under the layout; the JSON API, the discovery documents
/// and any client that does not ask for HTML keep the JSON error exactly as before.
/// </summary>
public sealed class ErrorPageTests : IAsyncLifetime
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private InProcessServer _server = null!;

    /// <summary>A bug in a page, on demand: the enroll page throws for <c>?fail=1</c> (the error page, re-executed with the same query, does not).</summary>
    private sealed class FailingPageFilter : IPageFilter
    {
        public void OnPageHandlerSelected(PageHandlerSelectedContext context)
        {
            if (context.ActionDescriptor.ViewEnginePath == "/Enroll" && context.HttpContext.Request.Query["fail"] == "1") throw new InvalidOperationException("a bug with a secret detail");
        }

        public void OnPageHandlerExecuting(PageHandlerExecutingContext context)
        {
        }

        public void OnPageHandlerExecuted(PageHandlerExecutedContext context)
        {
        }
    }

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(
        services: services => services.Configure<MvcOptions>(options => options.Filters.Add(new FailingPageFilter())));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(HttpStatusCode Status, string? Type, string Body)> SendAsync(HttpMethod method, string path, string? accept, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        using var response = await _server.Client.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    private static void AssertPage((HttpStatusCode Status, string? Type, string Body) answer, HttpStatusCode status, string title)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("text/html", answer.Type);
        Assert.Contains($"<title>{title} · Vouch</title>", answer.Body, StringComparison.Ordinal);
        Assert.Contains($"<h1>{title}</h1>", answer.Body, StringComparison.Ordinal);
        Assert.Contains("<link rel=\"stylesheet\" href=\"/css/site.css\">", answer.Body, StringComparison.Ordinal);
        Assert.Contains($"Error {(int)status}", answer.Body, StringComparison.Ordinal);
    }

    private static void AssertJson((HttpStatusCode Status, string? Type, string Body) answer, HttpStatusCode status, string error)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/json", answer.Type);
        Assert.Equal(error, JsonDocument.Parse(answer.Body).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_browser_opening_an_unknown_page_gets_the_404_page_under_the_layout()
    {
        AssertPage(await SendAsync(HttpMethod.Get, "/no-such-page", BrowserAccept), HttpStatusCode.NotFound, "Page not found");
    }

    [Fact]
    public async Task A_page_that_fails_gets_the_500_page_without_the_exception()
    {
        var answer = await SendAsync(HttpMethod.Get, "/enroll?fail=1", BrowserAccept);

        AssertPage(answer, HttpStatusCode.InternalServerError, "Something went wrong");
        Assert.DoesNotContain("secret detail", answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_post_without_its_antiforgery_token_gets_the_400_page()
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = "vi_x" });

        AssertPage(await SendAsync(HttpMethod.Post, "/enroll", BrowserAccept, form), HttpStatusCode.BadRequest, "This request could not be handled");
    }

    [Fact]
    public async Task The_error_page_opened_directly_is_a_404_whatever_status_it_names()
    {
        AssertPage(await SendAsync(HttpMethod.Get, "/error/500", BrowserAccept), HttpStatusCode.NotFound, "Page not found");
    }

    [Theory]
    [InlineData("/api/v1/no-such-endpoint")]
    [InlineData("/.well-known/no-such-document")]
    [InlineData("/js/no-such.js")]
    public async Task Json_endpoints_answer_json_errors_even_to_a_browser(string path)
    {
        AssertJson(await SendAsync(HttpMethod.Get, path, BrowserAccept), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_json_api_method_refusal_stays_json_for_a_browser()
    {
        AssertJson(await SendAsync(HttpMethod.Get, "/api/v1/token", BrowserAccept), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json")]
    [InlineData("*/*")]
    public async Task A_client_that_does_not_ask_for_html_gets_json_errors_for_pages_too(string? accept)
    {
        AssertJson(await SendAsync(HttpMethod.Get, "/no-such-page", accept), HttpStatusCode.NotFound, "not_found");
        AssertJson(await SendAsync(HttpMethod.Get, "/enroll?fail=1", accept), HttpStatusCode.InternalServerError, "server_error");
    }
}
