using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Authenticators;
using Vouch.Authenticators.Software;
using Vouch.Cli.Authenticators;
using Vouch.Cli.Commands;
using Vouch.Cli.Server;
using Xunit;

namespace Vouch.Cli.Tests.Authenticators;

/// <summary>Security review L6: the CLI asks no key to sign for a relying party that is not the server's.</summary>
public sealed class RelyingPartyCheckTests
{
    private const string Origin = "https://vouch.example.com";

    /// <summary>An authenticator that records that it was asked.</summary>
    private sealed class Recording : IAuthenticator
    {
        public int Calls { get; private set; }

        public JsonObject MakeCredential(JsonElement options, string origin) { Calls++; return []; }

        public JsonObject GetAssertion(JsonElement options, string origin) { Calls++; return []; }
    }

    private static JsonElement CreateOptions(string rpId) => JsonDocument.Parse(
        JsonSerializer.Serialize(new { rp = new { id = rpId, name = "Vouch" }, user = new { id = "AAAA" }, challenge = "AAAA" })).RootElement;

    private static JsonElement GetOptions(string rpId) => JsonDocument.Parse(JsonSerializer.Serialize(new { rpId, challenge = "AAAA" })).RootElement;

    [Theory]
    [InlineData("vouch.example.com", "vouch.example.com", true)]
    [InlineData("Vouch.Example.com", "vouch.example.com", true)]
    [InlineData("example.com", "vouch.example.com", true)]
    [InlineData("example.com.", "vouch.example.com", true)]
    [InlineData("localhost", "localhost", true)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("com", "vouch.example.com", false)]
    [InlineData("aws.amazon.com", "vouch.example.com", false)]
    [InlineData("evil.example.com", "vouch.example.com", false)]
    [InlineData("ample.com", "vouch.example.com", false)]
    [InlineData("other.vouch.example.com", "vouch.example.com", false)]
    [InlineData("0.0.1", "127.0.0.1", false)]
    [InlineData("", "vouch.example.com", false)]
    public void The_relying_party_is_the_servers_host_or_a_registrable_suffix_of_it(string rpId, string host, bool allowed) =>
        Assert.Equal(allowed, RelyingPartyCheck.Allowed(rpId, host));

    [Fact]
    public void A_foreign_relying_party_is_refused_before_the_key_is_asked_to_enroll_or_log_in()
    {
        var key = new Recording();
        var check = new RelyingPartyCheck(key);

        var enroll = Assert.Throws<CliException>(() => check.MakeCredential(CreateOptions("aws.amazon.com"), Origin));
        var login = Assert.Throws<CliException>(() => check.GetAssertion(GetOptions("aws.amazon.com"), Origin));
        var missing = Assert.Throws<CliException>(() => check.GetAssertion(JsonDocument.Parse("""{"challenge":"AAAA"}""").RootElement, Origin));

        Assert.All([enroll, login, missing], refused => Assert.Equal(FailureKind.Refused, refused.Kind));
        Assert.Equal(ExitCodes.Refused, login.ExitCode);
        Assert.Contains("relying party 'aws.amazon.com', which is neither its host 'vouch.example.com'", login.Message, StringComparison.Ordinal);
        Assert.Contains("check --server", login.Message, StringComparison.Ordinal);
        Assert.Equal(0, key.Calls);
        check.MakeCredential(CreateOptions("example.com"), Origin);
        check.GetAssertion(GetOptions("vouch.example.com"), Origin);
        Assert.Equal(2, key.Calls);
    }

    [Theory]
    [InlineData(SoftwareAuthenticator.EnvironmentVariable)]
    [InlineData("VOUCH_FIDO_DEVICE_SOCKET")]
    public void Enroll_and_login_get_the_check_whichever_authenticator_is_used(string variable)
    {
        using var directory = new Vouch.Testing.TemporaryDirectory();
        var environment = new Dictionary<string, string?> { [variable] = directory.File("key"), ["HOME"] = directory.Path };
        var context = new CliContext(new CapturedConsole(), name => environment.GetValueOrDefault(name),
            new Lazy<ServerConnections>(() => throw new InvalidOperationException("no server in this test")));

        var authenticator = context.Authenticator();

        Assert.IsType<RelyingPartyCheck>(authenticator);
        Assert.Equal(FailureKind.Refused, Assert.Throws<CliException>(() => authenticator.GetAssertion(GetOptions("aws.amazon.com"), Origin)).Kind);
        Assert.False(File.Exists(directory.File("key")));
    }
}
