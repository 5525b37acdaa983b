using System.Buffers.Binary;
using System.Net.Sockets;
using Vouch.FidoSimulator.Ctap;

namespace Vouch.FidoSimulator.Hid;

/// <summary>
/// One open of the simulated device: reads 64-byte reports from the socket, answers CTAPHID INIT, PING, WINK and
/// CANCEL itself and hands CBOR messages to the <see cref="Authenticator"/>, sending keepalives while it works.
/// </summary>
internal sealed class CtapHidConnection(Socket socket, Authenticator authenticator, ChannelAllocator channels)
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HashSet<uint> _channels = [];
    private readonly MessageAssembler _assembler = new();
    private (uint Channel, Task Work, CancellationTokenSource Cancel)? _busy;

    // Cleared just before the reply goes out, so a host that answers at once does not find the channel busy.
    private volatile bool _processing;

    public async Task RunAsync(CancellationToken stopping)
    {
        var report = new byte[CtapHid.ReportSize];
        try
        {
            while (await ReadReportAsync(report, stopping))
                await OnReportAsync(report, stopping);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The host closed the device or the simulator is stopping.
        }
        finally
        {
            if (_busy is { } busy)
            {
                await busy.Cancel.CancelAsync();
                await busy.Work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            socket.Dispose();
        }
    }

    private async Task<bool> ReadReportAsync(byte[] report, CancellationToken stopping)
    {
        for (var read = 0; read < report.Length;)
        {
            var n = await socket.ReceiveAsync(report.AsMemory(read), SocketFlags.None, stopping);
            if (n == 0)
                return false;
            read += n;
        }
        return true;
    }

    private async Task OnReportAsync(byte[] report, CancellationToken stopping)
    {
        var channel = BinaryPrimitives.ReadUInt32BigEndian(report);
        var command = report[4];
        // INIT and CANCEL are answered even while the channel is busy.
        if (command == CtapHid.Cancel)
        {
            if (_busy is { } busy && busy.Channel == channel)
                await busy.Cancel.CancelAsync();
            return;
        }

        var result = _assembler.Add(report, out var message);
        switch (result)
        {
            case AssemblyResult.InvalidLength:
                await SendErrorAsync(_assembler.Channel, CtapHid.ErrInvalidLength, stopping);
                return;
            case AssemblyResult.InvalidSequence:
                await SendErrorAsync(_assembler.Channel, CtapHid.ErrInvalidSequence, stopping);
                return;
            case AssemblyResult.Complete:
                await OnMessageAsync(message!, stopping);
                return;
            default:
                return;
        }
    }

    private async Task OnMessageAsync(HidMessage message, CancellationToken stopping)
    {
        if (message.Command == CtapHid.Init)
        {
            await OnInitAsync(message, stopping);
            return;
        }
        if (!_channels.Contains(message.Channel))
        {
            await SendErrorAsync(message.Channel, CtapHid.ErrInvalidChannel, stopping);
            return;
        }
        if (_processing)
        {
            await SendErrorAsync(message.Channel, CtapHid.ErrChannelBusy, stopping);
            return;
        }

        switch (message.Command)
        {
            case CtapHid.Ping:
                await SendAsync(message.Channel, CtapHid.Ping, message.Payload, stopping);
                break;
            case CtapHid.Wink:
                await SendAsync(message.Channel, CtapHid.Wink, Array.Empty<byte>(), stopping);
                break;
            case CtapHid.Cbor when message.Payload.Length > 0:
                var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                _processing = true;
                _busy = (message.Channel, Task.Run(() => ProcessCborAsync(message, cancel.Token), stopping), cancel);
                break;
            case CtapHid.Cbor:
                await SendErrorAsync(message.Channel, CtapHid.ErrInvalidLength, stopping);
                break;
            default:
                await SendErrorAsync(message.Channel, CtapHid.ErrInvalidCommand, stopping);
                break;
        }
    }

    private async Task OnInitAsync(HidMessage message, CancellationToken stopping)
    {
        if (message.Payload.Length != 8)
        {
            await SendErrorAsync(message.Channel, CtapHid.ErrInvalidLength, stopping);
            return;
        }
        uint channel;
        if (message.Channel == CtapHid.BroadcastChannel)
        {
            channel = channels.Allocate();
            _channels.Add(channel);
        }
        else if (_channels.Contains(message.Channel))
        {
            // INIT on an allocated channel resynchronises it: whatever it was doing is abandoned.
            channel = message.Channel;
            if (_busy is { } busy && busy.Channel == channel)
                await busy.Cancel.CancelAsync();
        }
        else
        {
            await SendErrorAsync(message.Channel, CtapHid.ErrInvalidChannel, stopping);
            return;
        }

        var response = new byte[17];
        message.Payload.CopyTo(response, 0);
        BinaryPrimitives.WriteUInt32BigEndian(response.AsSpan(8), channel);
        response[12] = 2; // CTAPHID protocol version
        response[13] = 1; // device version major.minor.build
        response[14] = 0;
        response[15] = 0;
        response[16] = CtapHid.CapabilityCbor | CtapHid.CapabilityNoMsg;
        await SendAsync(message.Channel, CtapHid.Init, response, stopping);
    }

    private async Task ProcessCborAsync(HidMessage message, CancellationToken cancellation)
    {
        var context = new CommandContext(status => SendAsync(message.Channel, CtapHid.Keepalive, new[] { status }, cancellation), cancellation);
        byte[] response;
        try
        {
            response = await authenticator.ProcessAsync(message.Payload, context);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            response = [(byte)CtapStatus.KeepaliveCancel];
        }
        _processing = false;
        try
        {
            await SendAsync(message.Channel, CtapHid.Cbor, response, CancellationToken.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The host went away while the key was working.
        }
    }

    private Task SendErrorAsync(uint channel, byte error, CancellationToken cancellation) =>
        SendAsync(channel, CtapHid.Error, new[] { error }, cancellation);

    private async Task SendAsync(uint channel, byte command, byte[] payload, CancellationToken cancellation)
    {
        // A message's reports go out together: a keepalive must not land between them.
        await _writeLock.WaitAsync(cancellation);
        try
        {
            foreach (var report in CtapHid.Fragment(channel, command, payload))
                await socket.SendAsync(report, SocketFlags.None, cancellation);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
