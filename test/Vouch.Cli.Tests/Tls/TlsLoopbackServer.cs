using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Vouch.Testing;

namespace Vouch.Cli.Tests.Tls;

/// <summary>
/// A TLS server on 127.0.0.1 (a free port) that presents <see cref="Certificate"/> and answers every HTTP request
/// with one JSON body; without a certificate it accepts connections and never says a word (a hung server).
/// </summary>
internal sealed class TlsLoopbackServer : IAsyncDisposable
{
    public const string Body = """{"email":"alice@example.com","expires_at":"2030-01-01T00:00:00Z"}""";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;

    public TlsLoopbackServer(X509Certificate2? certificate)
    {
        Certificate = certificate;
        Port = FreePort.Next();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public X509Certificate2? Certificate { get; }
    public int Port { get; }
    public string Url => $"https://127.0.0.1:{Port}";

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var connection = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_connections) _connections.Add(connection);
                if (Certificate is not null) _ = AnswerAsync(connection);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task AnswerAsync(TcpClient connection)
    {
        try
        {
            await using var tls = new SslStream(connection.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate }, _stop.Token);
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await tls.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            var body = Encoding.UTF8.GetBytes(Body);
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
            await tls.WriteAsync(body, _stop.Token);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            // The client refused the certificate (the point of most tests), or the server stops.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_connections)
        {
            foreach (var connection in _connections) connection.Dispose();
        }
        _stop.Dispose();
        Certificate?.Dispose();
    }
}
