using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vouch.Cli.Server;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests;

/// <summary>
/// Odd answers from whatever sits at the server URL become values or clean CLI errors (regressions found by
/// <c>ParserFuzzTests.The_server_client_turns_any_server_answer_into_a_value_or_a_cli_error</c>).
/// </summary>
public sealed class ServerAnswerTests : IAsyncLifetime
{
    private readonly WebApplication _app;
    private readonly string _url = $"http://127.0.0.1:{FreePort.Next()}";
    private (int Status, string ContentType, string Body) _answer;

    public ServerAnswerTests()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(_url);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(context =>
        {
            context.Response.StatusCode = _answer.Status;
            context.Response.ContentType = _answer.ContentType;
            return context.Response.WriteAsync(_answer.Body);
        });
    }

    public Task InitializeAsync() => _app.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<SessionResponse> GetSessionAsync(int status, string contentType, string body)
    {
        _answer = (status, contentType, body);
        using var connections = new ServerConnections(TimeProvider.System);
        return await new VouchServerClient(connections, _url).GetSessionAsync("vs_test", CancellationToken.None);
    }

    [Fact]
    public async Task A_json_answer_with_an_unknown_charset_is_read_as_utf8_json()
    {
        var session = await GetSessionAsync(200, "application/json; charset=nonsense", """{"email":"alice@example.com","expires_at":"2030-01-01T00:00:00Z"}""");

        Assert.Equal("alice@example.com", session.Email);
    }

    [Fact]
    public async Task An_error_answer_with_an_unknown_charset_keeps_its_error_code()
    {
        var refused = await Assert.ThrowsAsync<CliException>(() =>
            GetSessionAsync(401, "application/json; charset=nonsense", """{"error":"session_expired","error_description":"expired"}"""));

        Assert.Equal(ExitCodes.NotLoggedIn, refused.ExitCode);
        Assert.Equal(ErrorCodes.SessionExpired, refused.ServerError);
    }

    [Theory]
    [InlineData("text/html", "<html>it works</html>")]
    [InlineData("application/json", "{\"email\":")]
    [InlineData("application/json", "[1,2]")]
    [InlineData("application/json", "{\"expires_at\":\"not a date\"}")]
    public async Task A_success_answer_that_is_not_the_json_api_is_a_cli_error_that_questions_the_server_url(string contentType, string body)
    {
        var refused = await Assert.ThrowsAsync<CliException>(() => GetSessionAsync(200, contentType, body));

        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains("not its JSON API", refused.Message, StringComparison.Ordinal);
        Assert.Contains(_url, refused.Message, StringComparison.Ordinal);
    }
}
