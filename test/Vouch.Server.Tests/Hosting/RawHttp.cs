using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vouch.Server.Tests.Hosting;

/// <summary>Raw bytes to a loopback port and the whole answer back, for requests HttpClient would not send.</summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> and reads until the server closes (or 10 s pass); the answer as Latin-1 text.</summary>
    public static async Task<string> SendAsync(int port, byte[] request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
        await socket.SendAsync(request, timeout.Token);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, timeout.Token)) > 0) received.Write(buffer, 0, read);
        }
        catch (SocketException) when (received.Length > 0)
        {
            // Reset after answering (Kestrel closing with request bytes unread): the answer is what counts.
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }
}
