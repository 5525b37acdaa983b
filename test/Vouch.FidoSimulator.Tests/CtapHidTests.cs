using System.Buffers.Binary;
using System.Security.Cryptography;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

public sealed class CtapHidTests
{
    [Fact]
    public async Task Init_allocates_a_channel_and_states_CBOR_without_MSG()
    {
        await using var key = await SimulatedKey.StartAsync();
        using var second = await HidClient.ConnectAsync(key.Device.SocketPath);

        var response = await second.InitAsync();

        Assert.NotEqual(key.Client.Channel, second.Channel);
        Assert.NotEqual(HidClient.Broadcast, second.Channel);
        Assert.Equal(2, response[12]);
        Assert.Equal(0x0c, response[16]);
    }

    [Fact]
    public async Task Ping_echoes_a_message_that_spans_several_packets()
    {
        await using var key = await SimulatedKey.StartAsync();
        var message = RandomNumberGenerator.GetBytes(300);

        await key.Client.SendAsync(key.Client.Channel, 0x81, message);
        var reply = await key.Client.ReceiveAsync(key.Client.Channel);

        Assert.Equal(0x81, reply.Command);
        Assert.Equal(message, reply.Payload);
    }

    [Fact]
    public async Task A_command_on_a_channel_that_was_never_allocated_is_an_invalid_channel_error()
    {
        await using var key = await SimulatedKey.StartAsync();
        var stranger = key.Client.Channel + 1000;

        await key.Client.SendAsync(stranger, 0x81, [1, 2, 3]);
        var reply = await key.Client.ReceiveAsync(stranger);

        Assert.Equal(0xbf, reply.Command);
        Assert.Equal([0x0b], reply.Payload);
    }

    [Fact]
    public async Task A_continuation_out_of_sequence_is_an_invalid_sequence_error()
    {
        await using var key = await SimulatedKey.StartAsync();
        var channel = key.Client.Channel;
        var first = new byte[64];
        BinaryPrimitives.WriteUInt32BigEndian(first, channel);
        first[4] = 0x81;
        first[6] = 100;
        var skipping = new byte[64];
        BinaryPrimitives.WriteUInt32BigEndian(skipping, channel);
        skipping[4] = 1;

        await key.Client.SendRawAsync(first);
        await key.Client.SendRawAsync(skipping);
        var reply = await key.Client.ReceiveAsync(channel);

        Assert.Equal(0xbf, reply.Command);
        Assert.Equal([0x04], reply.Payload);
    }
}
