using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.Cli.Aws;

/// <summary>
/// Hands the console sign-in URL to the browser without putting it in any process's arguments, where every local
/// user could read it (<c>/proc/PID/cmdline</c>): the browser is given a one-time loopback link
/// (<c>http://127.0.0.1:PORT/RANDOM</c>) that redirects to the sign-in URL once, and only for a connection that a
/// process of this user opened (the owner of the peer socket, from <c>/proc/net/tcp</c>).
/// </summary>
internal sealed class ConsoleHandoff : IDisposable
{
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly string _path;
    private readonly string _secretUrl;

    private ConsoleHandoff(string secretUrl)
    {
        _secretUrl = secretUrl;
        _path = "/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Link = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{_path}";
    }

    /// <summary>The link to open: it redirects once, then answers 404.</summary>
    public string Link { get; }

    public static ConsoleHandoff Start(string secretUrl) => new(secretUrl);

    /// <summary>Serves until this user's browser has been redirected (true) or <paramref name="timeout"/> passes (false).</summary>
    public async Task<bool> ServeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(deadline.Token);
                if (await AnswerAsync(client, deadline.Token)) return true;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> AnswerAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var request = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        request.CancelAfter(RequestDeadline);
        var stream = client.GetStream();
        try
        {
            var head = await ReadHeadAsync(stream, request.Token);
            if (!LoopbackHttpRequest.TryParse(head, out var parsed) || parsed.Method != "GET" || parsed.Target != _path)
            {
                await RespondAsync(stream, "404 Not Found", null, request.Token);
                return false;
            }
            if (PeerOwner((IPEndPoint)client.Client.RemoteEndPoint!, (IPEndPoint)client.Client.LocalEndPoint!) != Native.GetEffectiveUserId())
            {
                await RespondAsync(stream, "403 Forbidden", null, request.Token);
                return false;
            }
            await RespondAsync(stream, "302 Found", _secretUrl, request.Token);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>The request head, up to the blank line that ends it; reads at most 8 KiB.</summary>
    private static async Task<byte[]> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new byte[8192];
        var length = 0;
        while (length < head.Length)
        {
            var read = await stream.ReadAsync(head.AsMemory(length), cancellationToken);
            if (read == 0) break;
            length += read;
            if (head.AsSpan(0, length).IndexOf("\r\n\r\n"u8) is var end and >= 0) return head[..end];
        }
        return head[..length];
    }

    private static async Task RespondAsync(NetworkStream stream, string status, string? location, CancellationToken cancellationToken)
    {
        var response = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status}\r\n")
            .Append("Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nContent-Length: 0\r\nConnection: close\r\n");
        if (location is not null) response.Append(CultureInfo.InvariantCulture, $"Location: {location}\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response.Append("\r\n").ToString()), cancellationToken);
    }

    /// <summary>The uid that owns the socket at <paramref name="peer"/> connected to <paramref name="local"/>; null when not found.</summary>
    /// <remarks>
    /// The peer's socket is in <c>/proc/net/tcp</c> when it is IPv4 only, or in <c>/proc/net/tcp6</c> as an IPv4-mapped
    /// address when it is dual-stack (as .NET's and many browsers' sockets are).
    /// </remarks>
    internal static uint? PeerOwner(IPEndPoint peer, IPEndPoint local)
    {
        foreach (var (table, hex) in new (string, Func<IPEndPoint, string>)[] { ("/proc/net/tcp", Hex4), ("/proc/net/tcp6", Hex6) })
        {
            var wanted = $"{hex(peer)} {hex(local)}";
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 7 && $"{fields[1]} {fields[2]}" == wanted && uint.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
                    return uid;
            }
        }
        return null;
    }

    /// <summary>An endpoint as /proc/net/tcp writes it: the IPv4 address as one little-endian hex word, then the port.</summary>
    private static string Hex4(IPEndPoint endpoint) => Words(endpoint.Address.MapToIPv4().GetAddressBytes()) + Port(endpoint);

    /// <summary>An endpoint as /proc/net/tcp6 writes it: the IPv6 (here IPv4-mapped) address as four little-endian words.</summary>
    private static string Hex6(IPEndPoint endpoint) => Words(endpoint.Address.MapToIPv6().GetAddressBytes()) + Port(endpoint);

    private static string Words(byte[] address)
    {
        var text = new StringBuilder();
        for (var word = 0; word < address.Length; word += 4)
            for (var i = 3; i >= 0; i--) text.Append(CultureInfo.InvariantCulture, $"{address[word + i]:X2}");
        return text.ToString();
    }

    private static string Port(IPEndPoint endpoint) => string.Create(CultureInfo.InvariantCulture, $":{endpoint.Port:X4}");

    public void Dispose() => _listener.Stop();
}
