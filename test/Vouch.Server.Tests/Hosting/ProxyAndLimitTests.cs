using System.Net;
using System.Text.Json;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>Who the client is behind a reverse proxy, and limits that one stranger cannot use against everybody.</summary>
public sealed class ProxyAndLimitTests
{
    private static async Task<string> AuditedClientOfLastAsync(InProcessServer server, string type)
    {
        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        return db.AuditRecords.Where(r => r.Type == type).OrderByDescending(r => r.Sequence).First().ClientAddress ?? "";
    }

    private static async Task PostWithForwardedForAsync(InProcessServer server, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.EnrollOptions.TrimStart('/'))
        {
            Content = new StringContent("""{"invite":"vi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_client_a_trusted_proxy_forwards_for_is_the_one_audited()
    {
        await using var server = await InProcessServer.StartAsync(configure: s => s with { TrustedProxies = [IPNetwork.Parse("127.0.0.0/8")] });

        await PostWithForwardedForAsync(server, "203.0.113.9");

        Assert.Equal("203.0.113.9", await AuditedClientOfLastAsync(server, AuditEventTypes.EnrollmentFailed));
    }

    [Fact]
    public async Task A_client_cannot_name_itself_by_prepending_to_the_forwarded_list()
    {
        // The proxy appends the address it saw; whatever the client wrote before it is not believed.
        await using var server = await InProcessServer.StartAsync(configure: s => s with { TrustedProxies = [IPNetwork.Parse("127.0.0.1/32")] });

        await PostWithForwardedForAsync(server, "198.51.100.66, 203.0.113.9");

        Assert.Equal("203.0.113.9", await AuditedClientOfLastAsync(server, AuditEventTypes.EnrollmentFailed));
    }

    [Fact]
    public async Task X_forwarded_for_from_an_address_that_is_not_a_trusted_proxy_is_ignored()
    {
        await using var server = await InProcessServer.StartAsync();

        await PostWithForwardedForAsync(server, "203.0.113.9");

        Assert.Equal("127.0.0.1", await AuditedClientOfLastAsync(server, AuditEventTypes.EnrollmentFailed));
    }

    [Fact]
    public async Task A_session_over_its_limit_gets_429_with_retry_after_while_another_session_goes_on()
    {
        await using var server = await InProcessServer.StartAsync(
            attestation: Vouch.Server.WebAuthn.AttestationPolicy.Any, configure: s => s with { Sessions = new SessionLimits { RequestsPerMinute = 3 } });
        using var alice = new ApiUser(server);
        using var bob = new ApiUser(server, "bob@example.com");
        var aliceSession = await alice.EnrollAndLoginAsync();
        var bobSession = await bob.EnrollAndLoginAsync();

        var allowed = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) allowed.Add((await alice.TokenAsync(aliceSession)).Status);
        using var over = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Token.TrimStart('/')) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        over.Headers.Authorization = new("Bearer", aliceSession);
        using var refused = await server.Client.SendAsync(over);
        var (bobStatus, _) = await bob.TokenAsync(bobSession);

        Assert.All(allowed, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(ErrorCodes.RateLimited, JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, bobStatus);
    }

    [Fact]
    public async Task Junk_bearers_from_the_same_address_do_not_use_up_a_real_session()
    {
        await using var server = await InProcessServer.StartAsync(
            attestation: Vouch.Server.WebAuthn.AttestationPolicy.Any, configure: s => s with { Sessions = new SessionLimits { RequestsPerMinute = 3 } });
        using var alice = new ApiUser(server);
        var session = await alice.EnrollAndLoginAsync();

        var junk = new List<HttpStatusCode>();
        foreach (var bearer in new[] { "garbage", "vs_" + new string('A', 32), session[..^1], "" })
            for (var i = 0; i < 25; i++) junk.Add((await alice.TokenAsync(bearer)).Status);
        var real = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) real.Add((await alice.TokenAsync(session)).Status);

        Assert.All(junk, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(real, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Theory]
    [InlineData("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("192.0.2.7", "192.0.2.7")]
    public void Ipv6_clients_are_counted_per_64(string address, string partition)
    {
        Assert.Equal(partition, ApiResults.ClientPartition(IPAddress.Parse(address)));
    }
}
