using System.Globalization;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// The published server serving https itself (<c>--tls-certificate</c>, <c>--tls-private-key</c>) on
/// <c>https://localhost:PORT</c> with a leaf of a throwaway PKI, from files in its own directory that a test replaces
/// the way a certificate renewal does.
/// </summary>
public sealed class DirectTlsVouch : IAsyncLifetime
{
    public TestPki Pki { get; private set; } = null!;
    public VouchWorld World { get; private set; } = null!;
    public int Port { get; } = FreePort.Next();
    private readonly TemporaryDirectory _tls = new("vouch-tls-");

    public string Url => $"https://localhost:{Port}";
    public string CertificateFile => _tls.File("fullchain.pem");
    public string PrivateKeyFile => _tls.File("privkey.pem");

    public async Task InitializeAsync()
    {
        Pki = await TestPki.CreateAsync();
        InstallLeaf();
        World = await VouchWorld.StartAsync(
            serveArguments: ["--attestation", "any", "--tls-certificate", CertificateFile, "--tls-private-key", PrivateKeyFile],
            address: new ServerAddress(Url, $"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}", Pki.CreateHandler()));
    }

    /// <summary>
    /// Puts the PKI's current leaf where the server reads it, each file written beside its target and renamed over it
    /// (as certbot's deploy hooks and <c>install</c> do), so that the server never reads half a file.
    /// </summary>
    public void InstallLeaf()
    {
        foreach (var (from, to) in new[] { (Pki.LeafChainFile, CertificateFile), (Pki.LeafKeyFile, PrivateKeyFile) })
        {
            File.Copy(from, to + ".new", overwrite: true);
            File.Move(to + ".new", to, overwrite: true);
        }
    }

    public async Task DisposeAsync()
    {
        if (World is not null) await World.DisposeAsync();
        Pki?.Dispose();
        _tls.Dispose();
    }
}

/// <summary>vouch-server with its own certificate: curl and openid-client trust it through the root alone, and a renewed certificate is served without a restart.</summary>
public sealed class TlsEndToEndTests(DirectTlsVouch vouch) : IClassFixture<DirectTlsVouch>
{
    [Fact]
    public async Task Curl_trusting_only_the_root_gets_healthz_over_https()
    {
        // Only the root is trusted: this works only if the server sends the intermediate with its leaf.
        var curl = await ProcessRunner.RunAsync("curl", ["--silent", "--show-error", "--fail", "--cacert", vouch.Pki.CaFile, vouch.Url + ApiRoutes.Health]);

        Assert.True(curl.ExitCode == 0, curl.StandardError);
    }

    [Fact]
    public async Task Openid_client_discovers_the_issuer_served_over_its_own_https()
    {
        var discovery = await NodePeers.DiscoverAsync(vouch.Url, vouch.Pki.ClientEnvironment);

        Assert.True(discovery.GetProperty("ok").GetBoolean(), discovery.ToString());
        Assert.Equal(vouch.Url + ApiRoutes.Jwks, discovery.GetProperty("metadata").GetProperty("jwks_uri").GetString());
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_without_a_restart()
    {
        using var before = await vouch.Pki.ServedLeafAsync(vouch.Port);
        Assert.Equal(vouch.Pki.Leaf.SerialNumber, before.SerialNumber);

        await vouch.Pki.IssueLeafAsync();
        vouch.InstallLeaf();
        var renewed = vouch.Pki.Leaf.SerialNumber;
        Assert.NotEqual(before.SerialNumber, renewed);

        // The server is promised to notice within about 2 s; allow 10 on a busy machine.
        var served = before.SerialNumber;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); served != renewed && DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            using var leaf = await vouch.Pki.ServedLeafAsync(vouch.Port);
            served = leaf.SerialNumber;
        }
        Assert.Equal(renewed, served);
        using var client = vouch.Pki.CreateHttpClient();
        using var health = await client.GetAsync(vouch.Url + ApiRoutes.Health);
        Assert.True(health.IsSuccessStatusCode, $"{(int)health.StatusCode} after the renewal:\n{vouch.World.Server.Output}");
    }
}
