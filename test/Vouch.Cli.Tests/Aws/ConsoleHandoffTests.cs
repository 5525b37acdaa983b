using System.Net;
using Vouch.Cli.Aws;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>The one-time loopback link that hands the console sign-in URL to this user's browser and to no one else.</summary>
public sealed class ConsoleHandoffTests
{
    private const string SignInUrl = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret-token";

    [Fact]
    public async Task The_link_redirects_this_users_browser_to_the_sign_in_url()
    {
        using var handoff = ConsoleHandoff.Start(SignInUrl);
        var serving = handoff.ServeAsync(TimeSpan.FromSeconds(10), CancellationToken.None);

        using var response = await Browser().GetAsync(handoff.Link);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(SignInUrl, response.Headers.Location?.OriginalString);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.True(await serving);
    }

    [Fact]
    public async Task Another_path_on_the_port_gets_nothing_and_the_link_still_works()
    {
        using var handoff = ConsoleHandoff.Start(SignInUrl);
        var serving = handoff.ServeAsync(TimeSpan.FromSeconds(10), CancellationToken.None);

        using var guess = await Browser().GetAsync(new Uri(new Uri(handoff.Link), "/00000000000000000000000000000000"));
        using var response = await Browser().GetAsync(handoff.Link);

        Assert.Equal(HttpStatusCode.NotFound, guess.StatusCode);
        Assert.Null(guess.Headers.Location);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.True(await serving);
    }

    [Fact]
    public async Task Another_local_user_who_read_the_link_is_refused()
    {
        using var handoff = ConsoleHandoff.Start(SignInUrl);
        var serving = handoff.ServeAsync(TimeSpan.FromSeconds(10), CancellationToken.None);

        // The link is in xdg-open's arguments, which every local user can read: "nobody" races the browser to it.
        var stolen = await ProcessRunner.RunAsync("runuser", ["-u", "nobody", "--", "curl", "-s", "-D", "-", "-o", "/dev/null", handoff.Link]);
        using var response = await Browser().GetAsync(handoff.Link);

        Assert.StartsWith("HTTP/1.1 403", stolen.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token", stolen.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.True(await serving);
    }

    [Fact]
    public async Task A_browser_that_never_comes_ends_the_wait()
    {
        using var handoff = ConsoleHandoff.Start(SignInUrl);

        Assert.False(await handoff.ServeAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));
    }

    private static HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
}
