using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Net.Sockets;
using System.Security.Cryptography;
using Vouch.FidoSimulator.Ctap;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

/// <summary>A reply: the CTAPHID command it came back with, its payload and the keepalive statuses sent before it.</summary>
public sealed record HidReply(byte Command, byte[] Payload, IReadOnlyList<byte> Keepalives);

/// <summary>
/// The host side of CTAPHID over the simulator's socket, written independently of the simulator's own framing:
/// 64-byte reports, init packet then continuations 0, 1, ….
/// </summary>
public sealed class HidClient : IDisposable
{
    public const uint Broadcast = 0xffffffff;

    private readonly Socket _socket;

    private HidClient(Socket socket) => _socket = socket;

    /// <summary>The channel INIT allocated.</summary>
    public uint Channel { get; private set; }

    public static async Task<HidClient> ConnectAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        return new HidClient(socket);
    }

    /// <summary>INIT on the broadcast channel; returns the 17-byte response after checking the nonce came back.</summary>
    public async Task<byte[]> InitAsync()
    {
        var nonce = RandomNumberGenerator.GetBytes(8);
        await SendAsync(Broadcast, 0x86, nonce);
        var reply = await ReceiveAsync(Broadcast);
        Assert.Equal(0x86, reply.Command);
        Assert.Equal(nonce, reply.Payload[..8]);
        Channel = BinaryPrimitives.ReadUInt32BigEndian(reply.Payload.AsSpan(8));
        return reply.Payload;
    }

    public async Task SendAsync(uint channel, byte command, byte[] payload)
    {
        var offset = 0;
        var sequence = -1;
        do
        {
            var report = new byte[64];
            BinaryPrimitives.WriteUInt32BigEndian(report, channel);
            int header;
            if (sequence < 0)
            {
                report[4] = command;
                report[5] = (byte)(payload.Length >> 8);
                report[6] = (byte)payload.Length;
                header = 7;
            }
            else
            {
                report[4] = (byte)sequence;
                header = 5;
            }
            var chunk = payload.AsSpan(offset, Math.Min(64 - header, payload.Length - offset));
            chunk.CopyTo(report.AsSpan(header));
            offset += chunk.Length;
            sequence++;
            await _socket.SendAsync(report, SocketFlags.None);
        }
        while (offset < payload.Length);
    }

    /// <summary>Sends one report as it is, for tests of malformed framing.</summary>
    public async Task SendRawAsync(byte[] report) => await _socket.SendAsync(report, SocketFlags.None);

    /// <summary>Reads reports on <paramref name="channel"/> until a reply other than a keepalive is whole.</summary>
    public async Task<HidReply> ReceiveAsync(uint channel)
    {
        var keepalives = new List<byte>();
        while (true)
        {
            var first = await ReadReportAsync();
            Assert.Equal(channel, BinaryPrimitives.ReadUInt32BigEndian(first));
            var length = (first[5] << 8) | first[6];
            var payload = new List<byte>(first.AsSpan(7, Math.Min(57, length)).ToArray());
            for (var expected = 0; payload.Count < length; expected++)
            {
                var next = await ReadReportAsync();
                Assert.Equal(expected, next[4]);
                payload.AddRange(next.AsSpan(5, Math.Min(59, length - payload.Count)).ToArray());
            }
            if (first[4] == 0xbb)
            {
                keepalives.Add(payload[0]);
                continue;
            }
            return new HidReply(first[4], [.. payload], keepalives);
        }
    }

    /// <summary>A CTAP2 command over CTAPHID_CBOR: returns the status byte, the response map and any keepalives.</summary>
    public async Task<CtapReply> CborAsync(byte command, Action<CborWriter>? writeParameters = null)
    {
        byte[] request = [command];
        if (writeParameters is not null)
        {
            var writer = new CborWriter(CborConformanceMode.Ctap2Canonical, convertIndefiniteLengthEncodings: true);
            writeParameters(writer);
            request = [command, .. writer.Encode()];
        }
        await SendAsync(Channel, 0x90, request);
        var reply = await ReceiveAsync(Channel);
        Assert.Equal(0x90, reply.Command);
        return new CtapReply((CtapStatus)reply.Payload[0], reply.Payload[1..], reply.Keepalives);
    }

    public void Dispose() => _socket.Dispose();

    private async Task<byte[]> ReadReportAsync()
    {
        var report = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var read = 0; read < 64;)
        {
            var n = await _socket.ReceiveAsync(report.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            read += n;
        }
        return report;
    }
}

/// <summary>A CTAP2 response: status byte, the CBOR after it (empty unless OK), keepalives seen while waiting.</summary>
public sealed record CtapReply(CtapStatus Status, byte[] Body, IReadOnlyList<byte> Keepalives)
{
    /// <summary>The response map, keys as integers, each value still encoded.</summary>
    public Dictionary<int, byte[]> Map()
    {
        Assert.Equal(CtapStatus.Ok, Status);
        var reader = new CborReader(Body, CborConformanceMode.Ctap2Canonical);
        var map = new Dictionary<int, byte[]>();
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
            map[reader.ReadInt32()] = reader.ReadEncodedValue().ToArray();
        reader.ReadEndMap();
        return map;
    }
}
