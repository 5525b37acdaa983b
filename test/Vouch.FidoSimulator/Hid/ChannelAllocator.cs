using System.Security.Cryptography;

namespace Vouch.FidoSimulator.Hid;

/// <summary>Hands out channel ids unique across the device's connections, never 0 or the broadcast channel.</summary>
internal sealed class ChannelAllocator
{
    private uint _last = (uint)RandomNumberGenerator.GetInt32(1, 0x10000);

    public uint Allocate()
    {
        var channel = Interlocked.Increment(ref _last);
        return channel is 0 or CtapHid.BroadcastChannel ? Allocate() : channel;
    }
}
