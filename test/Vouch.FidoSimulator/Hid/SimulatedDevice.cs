using System.Net.Sockets;
using Vouch.FidoSimulator.Ctap;

namespace Vouch.FidoSimulator.Hid;

/// <summary>
/// The simulated key on a Unix stream socket. Each connection is one open of the HID device; every HID report,
/// both ways, travels as exactly 64 bytes (no report id, no length prefix), so a host writes a 65-byte hidraw
/// report minus its leading report id 0 and reads 64 bytes per report. Stop it with <see cref="DisposeAsync"/>.
/// </summary>
public sealed class SimulatedDevice : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];
    private readonly List<Socket> _sockets = [];

    private SimulatedDevice(string socketPath, Authenticator authenticator)
    {
        SocketPath = socketPath;
        Authenticator = authenticator;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen();
        _accepting = AcceptAsync();
    }

    public string SocketPath { get; }

    public Authenticator Authenticator { get; }

    /// <summary>Listens on <paramref name="socketPath"/> (which must not exist) until disposed.</summary>
    public static SimulatedDevice Start(string socketPath, SimulatorOptions options) => new(socketPath, new Authenticator(options));

    /// <summary>
    /// Pulls the key out: every open connection is closed at once, mid-command, with no answer, as a host sees a USB
    /// device vanish; nothing listens any more. <see cref="DisposeAsync"/> still cleans up.
    /// </summary>
    public void Unplug()
    {
        _listener.Dispose();
        lock (_connections)
        {
            foreach (var socket in _sockets) socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] connections;
        lock (_connections)
            connections = [.. _connections];
        await Task.WhenAll(connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Authenticator.Dispose();
        _stopping.Dispose();
        File.Delete(SocketPath);
    }

    private async Task AcceptAsync()
    {
        var channels = new ChannelAllocator();
        while (!_stopping.IsCancellationRequested)
        {
            var socket = await _listener.AcceptAsync(_stopping.Token);
            var connection = new CtapHidConnection(socket, Authenticator, channels);
            lock (_connections)
            {
                _sockets.RemoveAll(s => !s.Connected);
                _sockets.Add(socket);
                _connections.RemoveAll(c => c.IsCompleted);
                _connections.Add(Task.Run(() => connection.RunAsync(_stopping.Token)));
            }
        }
    }
}
