using System.Net;
using System.Net.Sockets;

namespace Vouch.Server.Hosting;

/// <summary>
/// Tries the listen address before the server starts, so that an address already in use is one clear line
/// instead of the host's error logs and a cancelled background service.
/// </summary>
internal static class ListenProbe
{
    /// <summary>Null when <paramref name="listen"/> can be bound now, else why not, in words.</summary>
    public static string? Check(Uri listen)
    {
        var host = listen.Host.Trim('[', ']');
        var address = ListenHost.Parse(listen) switch
        {
            { AnyAddress: true } => Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any,
            { Localhost: true } => IPAddress.Loopback,
            var parsed => parsed?.Address,
        };
        if (address is null) return null;
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
        // As a listener that restarts would: a connection lingering in TIME_WAIT does not make the port busy.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            socket.Bind(new IPEndPoint(address, listen.Port));
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"port {listen.Port} on {host} is already in use (another vouch-server?); stop that process or choose another --listen",
                SocketError.AccessDenied => $"not allowed to listen on port {listen.Port} (ports below 1024 need root or CAP_NET_BIND_SERVICE); choose another --listen",
                SocketError.AddressNotAvailable => $"{host} is not an address of this machine; choose another --listen",
                _ => $"cannot bind {host}:{listen.Port} ({e.SocketErrorCode})",
            };
        }
    }
}
