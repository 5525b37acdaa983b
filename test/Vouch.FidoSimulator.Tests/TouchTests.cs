using System.Security.Cryptography;
using Vouch.FidoSimulator.Ctap;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

public sealed class TouchTests
{
    [Fact]
    public async Task With_no_touch_the_key_sends_UPNEEDED_keepalives_then_USER_ACTION_TIMEOUT()
    {
        await using var key = await SimulatedKey.StartAsync(new SimulatorOptions { TouchAfter = null, TouchTimeout = TimeSpan.FromSeconds(1) });

        var reply = await Platform.MakeCredentialAsync(key.Client, SHA256.HashData("register"u8));

        Assert.Equal(CtapStatus.UserActionTimeout, reply.Status);
        // How many fit in the second depends on the machine's load; that they come, and say UPNEEDED, does not.
        Assert.NotEmpty(reply.Keepalives);
        Assert.All(reply.Keepalives, status => Assert.Equal(0x02, status));
    }

    [Fact]
    public async Task A_touch_that_takes_a_while_is_preceded_by_keepalives()
    {
        await using var key = await SimulatedKey.StartAsync(new SimulatorOptions { TouchAfter = TimeSpan.FromMilliseconds(300) });

        var reply = await Platform.MakeCredentialAsync(key.Client, SHA256.HashData("register"u8));

        Assert.Equal(CtapStatus.Ok, reply.Status);
        Assert.NotEmpty(reply.Keepalives);
    }

    [Fact]
    public async Task Cancel_while_waiting_for_a_touch_is_KEEPALIVE_CANCEL()
    {
        await using var key = await SimulatedKey.StartAsync(new SimulatorOptions { TouchAfter = null });
        var client = key.Client;

        var waiting = Platform.MakeCredentialAsync(client, SHA256.HashData("register"u8));
        await key.Device.Authenticator.WaitingForTouch.WaitAsync(TimeSpan.FromSeconds(30));
        await client.SendAsync(client.Channel, 0x91, []);
        var reply = await waiting;

        Assert.Equal(CtapStatus.KeepaliveCancel, reply.Status);
    }
}
