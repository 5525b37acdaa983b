using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Testing;

/// <summary>
/// A throwaway root → intermediate → <c>localhost</c> leaf made by <c>test/peers/tls/make-test-pki.sh</c> in its own
/// directory (deleted on dispose). Clients trust <see cref="CaFile"/> only; servers send <see cref="LeafChainFile"/>.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly TemporaryDirectory _directory;

    private TestPki(TemporaryDirectory directory) => _directory = directory;

    public string Directory => _directory.Path;

    /// <summary>The root certificate, the one thing clients trust.</summary>
    public string CaFile => _directory.File("ca.pem");

    /// <summary>The leaf followed by the intermediate: what a server sends (certbot's <c>fullchain.pem</c>).</summary>
    public string LeafChainFile => _directory.File("leaf-chain.pem");

    public string LeafKeyFile => _directory.File("leaf.key");

    /// <summary>The environment that makes a client on a user's machine trust this CA: .NET and OpenSSL, and Node.</summary>
    public IReadOnlyDictionary<string, string?> ClientEnvironment => new Dictionary<string, string?>
    {
        ["SSL_CERT_FILE"] = CaFile,
        ["NODE_EXTRA_CA_CERTS"] = CaFile,
    };

    /// <summary>The current leaf certificate on disk.</summary>
    public X509Certificate2 Leaf => X509Certificate2.CreateFromPem(File.ReadAllText(_directory.File("leaf.pem")));

    public static async Task<TestPki> CreateAsync()
    {
        var pki = new TestPki(new TemporaryDirectory("vouch-pki-"));
        try
        {
            await pki.IssueLeafAsync();
            return pki;
        }
        catch
        {
            pki.Dispose();
            throw;
        }
    }

    /// <summary>Issues a fresh leaf (new key, new serial) under the same CA, replacing the leaf files.</summary>
    public async Task IssueLeafAsync()
    {
        var made = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.PeersDirectory, "tls", "make-test-pki.sh"), Directory],
            timeout: TimeSpan.FromSeconds(30));
        if (made.ExitCode != 0)
            throw new InvalidOperationException($"make-test-pki.sh exited {made.ExitCode} (scripts/install-test-deps.sh installs openssl): {made.StandardError}");
    }

    /// <summary>
    /// An <see cref="HttpClient"/> that trusts this CA and nothing else, as a user's machine configured for it would,
    /// connecting from <paramref name="from"/> (any of 127.0.0.0/8; the kernel's choice, 127.0.0.1, by default).
    /// </summary>
    public HttpClient CreateHttpClient(IPAddress? from = null) => new(CreateHandler(from)) { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>A handler that trusts this CA and nothing else, connecting from <paramref name="from"/> when given.</summary>
    public SocketsHttpHandler CreateHandler(IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = ChainPolicy() },
            // Every request should see the certificate the server serves now, not a pooled connection's.
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        if (from is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    // Bound before connecting, the connection comes from this address: what a server sees as the client.
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        return handler;
    }

    /// <summary>Opens a TLS connection to <c>localhost:<paramref name="port"/></c>, validated against this CA, and returns the leaf the server sent.</summary>
    public async Task<X509Certificate2> ServedLeafAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = ChainPolicy(),
        });
        var served = tls.RemoteCertificate ?? throw new InvalidOperationException($"localhost:{port} sent no certificate");
        // A copy: the stream's certificate goes with the stream.
        return X509CertificateLoader.LoadCertificate(served.GetRawCertData());
    }

    private X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(CaFile)));
        return policy;
    }

    public void Dispose() => _directory.Dispose();
}
